"""Production settings pass ``check --deploy``; static files build with the manifest storage; the pool is on.

Each check runs ``manage.py`` in a subprocess with a production-like environment (a
real secret, allowed hosts, DEBUG off, the HTTPS settings left at their defaults),
not with the test run's relaxed one.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.test import override_settings
from django.urls import reverse

BASE_DIR = Path(settings.BASE_DIR)

# The test run relaxes these (crisisdesk/testing/env.py); production does not set them.
RELAXED = {
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SECURE_COOKIES",
    "DJANGO_PLAIN_STATIC",
    "DJANGO_DEBUG",
    "DJANGO_FAST_PASSWORD_HASHER",
    "DJANGO_HSTS_SECONDS",
    "DJANGO_TEST_SQLITE_NAME",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the Playwright fixture while browser tests run
}


def production_env(**extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in RELAXED}
    env.update(
        {
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "crisisdesk.example.org",
            "DJANGO_CSRF_TRUSTED_ORIGINS": "https://crisisdesk.example.org",
        }
    )
    env.update(extra)
    return env


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_catches_a_weakened_setting():
    # Proves the check above means something: insecure cookies fail it.
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(DJANGO_SECURE_COOKIES="0"))
    assert result.returncode != 0
    assert "security.W012" in result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret():
    env = production_env()
    env.pop("DJANGO_SECRET_KEY")
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_postgres_gets_the_pool_and_health_checks():
    code = (
        "import json; from django.conf import settings; db = settings.DATABASES['default']; "
        "print(json.dumps({'pool': db['OPTIONS'].get('pool'), 'age': db['CONN_MAX_AGE'], "
        "'health': db['CONN_HEALTH_CHECKS'], 'engine': db['ENGINE']}))"
    )
    env = production_env(DATABASE_URL="postgres://crisisdesk:secret@db.internal:5432/crisisdesk")
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    db = json.loads(result.stdout.strip().splitlines()[-1])
    assert db["engine"] == "django.db.backends.postgresql"
    assert db["pool"] == {"min_size": 2, "max_size": 10, "timeout": 10}
    assert db["age"] == 0 and db["health"] is True


# One test for the collected files and for pages served from them, so that collectstatic (tens of
# seconds: every file compressed twice) runs once per pass. Two tests in an ``xdist_group`` did not
# share it: pytest-xdist 3.8 marks a group on ``item._nodeid``, which pytest 9 no longer reads, so
# ``--dist=loadgroup`` spread them over both workers and each built its own copy (~40 s each).
def test_collectstatic_builds_the_manifest_and_pages_render_with_it(tmp_path, client_for, team_lead, incident):
    collected_static = tmp_path / "staticfiles"
    result = manage("collectstatic", "--no-input", env=production_env(DJANGO_STATIC_ROOT=str(collected_static)))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((collected_static / "staticfiles.json").read_text())["paths"]
    hashed = manifest["css/crisisdesk.css"]
    assert hashed != "css/crisisdesk.css"
    assert (collected_static / hashed).exists()
    assert (collected_static / f"{hashed}.gz").exists()
    assert "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in manifest

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, STATIC_ROOT=collected_static):
        client = client_for(team_lead)
        for url in (reverse("dashboard"), incident.get_absolute_url(), reverse("api:redoc"), reverse("api:docs")):
            response = client.get(url)
            assert response.status_code == 200, url
        dashboard = client.get(reverse("dashboard")).content.decode()
    assert f"/static/{manifest['css/crisisdesk.css']}" in dashboard
    assert f"/static/{manifest['js/crisisdesk.js']}" in dashboard
