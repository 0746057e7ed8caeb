"""Settings of the test OpenID Connect provider: django-oauth-toolkit with OIDC, nothing of CrisisDesk.

Read from the environment the harness (``server.py``) sets: ``OIDC_PROVIDER_STATE_DIR`` (its SQLite
database and the knobs file), ``OIDC_PROVIDER_PORT`` and ``OIDC_PROVIDER_CONTROL_TOKEN``.
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _new_rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


STATE_DIR = Path(os.environ["OIDC_PROVIDER_STATE_DIR"])
PORT = int(os.environ.get("OIDC_PROVIDER_PORT", "0"))
CONTROL_TOKEN = os.environ["OIDC_PROVIDER_CONTROL_TOKEN"]
KNOBS_FILE = STATE_DIR / "knobs.json"
ISSUER = f"http://127.0.0.1:{PORT}/o"

SECRET_KEY = "oidc-provider-for-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
ROOT_URLCONF = "crisisdesk.testing.oidc_provider.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
    "crisisdesk.testing.oidc_provider",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": STATE_DIR / "provider.sqlite3"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # test users only: fast
STATIC_URL = "/static/"
LOGIN_URL = "/accounts/login/"
# The provider and CrisisDesk's live server both run on the loopback host, and cookies ignore the
# port: the provider's own cookie names keep its session apart from CrisisDesk's.
SESSION_COOKIE_NAME = "provider_sessionid"
CSRF_COOKIE_NAME = "provider_csrftoken"

# Signs nothing: published instead of the real key (under the real key's id) when the
# ``jwks=other-key`` knob is set, so the ID token's signature matches no key of the JWKS.
OTHER_RSA_PRIVATE_KEY = _new_rsa_pem()

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _new_rsa_pem(),
    "OIDC_ISS_ENDPOINT": ISSUER,
    "OAUTH2_VALIDATOR_CLASS": "crisisdesk.testing.oidc_provider.validators.Validator",
    "SCOPES": {"openid": "OpenID Connect", "email": "Your e-mail address", "profile": "Your name and groups"},
    "ID_TOKEN_EXPIRE_SECONDS": 300,
    # mozilla-django-oidc does not send a PKCE challenge unless OIDC_USE_PKCE is set.
    "PKCE_REQUIRED": False,
}
