"""A spike through the real parts: the bulk API commits, Redis carries the task, a Celery worker fires the alert.

Runs in the PostgreSQL pass of ``make test`` (a worker process must share the database). How
fast the alert comes is measured by ``make bench BENCH_ARGS="--ingest 100000"``, not here.
"""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crisisdesk.apikeys.services import apikey_create
from crisisdesk.testing.worker import wait_until
from incidents.listening import services as mention_services
from incidents.listening.models import Alert, Mention

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_spike_posted_to_the_bulk_api_becomes_an_alert_through_the_worker(start_worker, team_lead):
    worker = start_worker()
    now = timezone.now()
    term = mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")
    # Listened to for a week, quietly: the past days' windows are recorded zeros.
    type(term).objects.filter(pk=term.pk).update(created_at=now - timedelta(days=8))
    rule = mention_services.spike_rule_save(
        actor=team_lead,
        data={
            "name": "Worker spike",
            "watch_term": term,
            "min_count": 50,
            "window_minutes": 10,
            "action": "open_incident",
        },
    )
    _, raw_key = apikey_create(actor=team_lead, name="monitor", scopes=["ingest"])
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    items = [
        {
            "platform": "x",
            "external_id": f"w-{i}",
            "text": "Acme jar exploded, dangerous and disgusting",
            "posted_at": (now - timedelta(seconds=4 * i)).isoformat(),
        }
        for i in range(120)
    ]
    response = client.post(
        reverse("api:mention-bulk"), json.dumps({"mentions": items}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    # Nothing was evaluated in the request: tasks go through Redis to the worker.
    assert not Alert.objects.exists()

    wait_until(lambda: Alert.objects.filter(rule=rule).exists(), timeout=30, what="the alert", worker_log=worker.output)
    alert = Alert.objects.get(rule=rule)
    # Fired at the first quarter-window point holding the minimum count (data time), against a quiet week.
    assert 50 <= alert.count <= 120 and alert.baseline == 0
    assert alert.window_end <= now
    assert alert.incident is not None and alert.incident.created_by == team_lead
    assert Mention.objects.filter(incident=alert.incident).count() == 20
    assert "incidents.evaluate_spikes" in worker.output()
