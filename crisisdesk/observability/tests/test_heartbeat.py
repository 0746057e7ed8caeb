"""Heartbeats: the task and the beat publication record them, /healthz reports ok / stale / in-process."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisdesk import health
from crisisdesk.celery import app, record_beat_heartbeat
from crisisdesk.observability import heartbeat
from crisisdesk.observability.tasks import heartbeat_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_workers(settings, monkeypatch):
    """Tasks go to workers (not eager); the broker check is out of scope here."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setitem(health.CHECKS, "queue", lambda: "ok")


def test_beat_schedules_the_heartbeat_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["heartbeat"]
    assert entry["task"] == heartbeat.TASK_NAME == heartbeat_task.name
    assert entry["schedule"] == 60.0
    assert heartbeat.TASK_NAME in app.tasks


def test_the_task_records_the_worker_and_publishing_records_beat(on_workers, time_machine):
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    assert heartbeat.last_seen() == {"worker": None, "beat": None}
    heartbeat_task.run()
    assert heartbeat.last_seen()["worker"] == now
    # Beat publishing another task proves nothing; publishing the heartbeat does.
    record_beat_heartbeat(sender="incidents.evaluate_spikes", body=(), headers={})
    assert heartbeat.last_seen()["beat"] is None
    record_beat_heartbeat(sender=heartbeat.TASK_NAME, body=(), headers={})
    assert heartbeat.last_seen()["beat"] == now


def test_a_cache_failure_never_stops_beat(monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(heartbeat, "record", broken)
    heartbeat.on_before_task_publish(sender=heartbeat.TASK_NAME)  # logs, does not raise


def test_healthz_ok_with_fresh_heartbeats(client, on_workers, time_machine):
    now = timezone.now()
    time_machine.move_to(now - timedelta(minutes=4), tick=False)
    heartbeat.record(heartbeat.WORKER)
    heartbeat.record(heartbeat.BEAT)
    time_machine.move_to(now, tick=False)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": "ok",
        "queue": "ok",
        "worker": "ok",
        "beat": "ok",
        "listen": "no-stream-source",
    }


def test_healthz_503_when_beat_stopped(client, on_workers, time_machine):
    now = timezone.now()
    time_machine.move_to(now - timedelta(minutes=6), tick=False)
    heartbeat.record(heartbeat.WORKER)
    heartbeat.record(heartbeat.BEAT)
    time_machine.move_to(now, tick=False)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["worker"] == "stale"
    assert body["checks"]["beat"] == "stale"
    # Status words only: no timestamps, ages or host names in a public answer.
    assert set(body) == {"status", "checks", "duration_ms"}


def test_healthz_names_the_dead_worker_when_beat_lives(client, on_workers, time_machine):
    now = timezone.now()
    time_machine.move_to(now - timedelta(minutes=30), tick=False)
    heartbeat.record(heartbeat.WORKER)
    time_machine.move_to(now, tick=False)
    heartbeat.record(heartbeat.BEAT)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "stale"
    assert response.json()["checks"]["beat"] == "ok"


def test_never_seen_is_stale(client, on_workers):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == "stale"


def test_the_threshold_is_a_setting(client, on_workers, settings, time_machine):
    settings.CRISISDESK_HEARTBEAT_STALE_MINUTES = 15
    now = timezone.now()
    time_machine.move_to(now - timedelta(minutes=10), tick=False)
    heartbeat.record(heartbeat.WORKER)
    heartbeat.record(heartbeat.BEAT)
    time_machine.move_to(now, tick=False)
    assert client.get(reverse("healthz")).status_code == 200


def test_in_process_tasks_never_fail_healthz(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["checks"]["worker"] == "in-process"
    assert response.json()["checks"]["beat"] == "in-process"
