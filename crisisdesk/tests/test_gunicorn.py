"""gunicorn, as deployed: our gunicorn.conf.py, real worker processes on the test database.

The pinned gunicorn release must start with the settings file, serve the app (health check, a
page with its security headers) and stop gracefully on SIGTERM, as a process supervisor does.
"""

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from crisisdesk.testing.worker import _wait_for_port, free_port

from .test_shared_cache import _server_env


def get(url: str):
    with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 - a loopback test server
        return response.status, response.headers, response.read()


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_the_app_with_our_settings_and_stops_gracefully(tmp_path):
    port = free_port()
    env = {
        **_server_env("database", None),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "DJANGO_SECRET_KEY": "gunicorn-test",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_PLAIN_STATIC": "1",
    }
    log_path = tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [str(gunicorn), "--config", "gunicorn.conf.py"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(port, timeout=30)
            status, _headers, body = get(f"http://127.0.0.1:{port}/healthz")
            assert status == 200
            assert json.loads(body)["checks"]["database"] == "ok"

            status, headers, _body = get(f"http://127.0.0.1:{port}/accounts/login/")
            assert status == 200
            assert "script-src 'self'" in headers["Content-Security-Policy"]
            assert "camera=()" in headers["Permissions-Policy"]
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                returncode = process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
                raise
    output = log_path.read_text()
    assert returncode == 0, output
    assert "Starting gunicorn" in output and "Booting worker" in output, output
