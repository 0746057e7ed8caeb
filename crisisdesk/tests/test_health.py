"""/healthz: 200 when the database and the queue answer, 503 naming the part that does not."""

import json
import shutil
import socket
import subprocess
import time

import pytest
from django.db import OperationalError
from django.test import RequestFactory
from django.urls import reverse

from crisisdesk import health
from crisisdesk.observability import heartbeat
from crisisdesk.testing.system import require


def test_healthy_without_a_broker(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {
        "database": "ok",
        "queue": "skipped",
        "worker": "in-process",
        "beat": "in-process",
        "listen": "no-stream-source",
    }
    assert "no-store" in response["Cache-Control"]


def test_database_down_is_503(client, db, monkeypatch):
    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", refuse)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["checks"]["database"] == "error: OperationalError"
    # The detail stays in the server log, not in a public response.
    assert "refused" not in response.content.decode()


def test_database_cursor_failure_is_caught(client, db):
    from unittest import mock

    from django.db import connections

    broken = mock.patch.object(
        connections["default"], "cursor", side_effect=OperationalError("server closed the connection unexpectedly")
    )
    with broken:
        response = health.healthz(RequestFactory().get("/healthz"))
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["database"] == "error: OperationalError"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_queue_down_is_503_and_answers_fast(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    started = time.monotonic()
    response = client.get(reverse("healthz"))
    assert time.monotonic() - started < settings.HEALTHZ_BROKER_TIMEOUT + 3
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["queue"].startswith("error: ")


@pytest.fixture
def redis_url():
    """A throwaway redis-server on loopback (Debian's package; `make test` installs it)."""
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server is not installed (scripts/ensure-system-deps.sh installs it)")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_queue_up_is_200(client, db, settings, redis_url):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url
    heartbeat.record(heartbeat.WORKER)
    heartbeat.record(heartbeat.BEAT)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": "ok",
        "queue": "ok",
        "worker": "ok",
        "beat": "ok",
        "listen": "no-stream-source",
    }


def test_healthz_is_exempt_from_the_https_redirect(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("login")).status_code == 301


def test_only_get(client, db):
    assert client.post(reverse("healthz")).status_code == 405
