"""pytest plugin (loaded with -p before Django starts): production-like settings, throwaway secret."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_PLAIN_STATIC", "1")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_FAST_PASSWORD_HASHER", "1")
# One pytest process: an in-process cache, cleared before every test (conftest); the
# two-process tests (crisisdesk/tests/test_shared_cache.py) start servers on the database cache.
os.environ.setdefault("DJANGO_CACHE", "locmem")

# Whitenoise warns on every request when STATIC_ROOT does not exist; tests serve
# static files through the finders, so an empty directory is enough.
_static_root = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "staticfiles")
os.makedirs(_static_root, exist_ok=True)
# One file per test process, so two runs on one machine do not collide.
os.environ.setdefault(
    "DJANGO_TEST_SQLITE_NAME", os.path.join(tempfile.gettempdir(), f"crisisdesk-test-{os.getpid()}.sqlite3")
)
# Two-factor enforcement off for the suite (users without a device); its own tests turn it on.
os.environ.setdefault("CRISISDESK_2FA_ENFORCE", "0")
