"""Spike rules on a synthetic series: fire at the spike (not before), respect the cool-down, open incidents."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from crisisdesk.webhooks.models import OutboxEvent
from incidents import mention_services, spikes
from incidents.models import Alert, Mention, SpikeAction, SpikeRule

START = datetime(2026, 11, 10, 0, 0, tzinfo=UTC)
SPIKE_AT = START + timedelta(days=8, hours=14)


def post(n, at, *, negative=False):
    text = "Acme jar cracked, dangerous and disgusting" if negative else "Acme blender at the shop"
    return {"platform": "x", "external_id": f"m-{n}", "text": text, "posted_at": at.isoformat()}


def ingest(items):
    mentions, errors = mention_services.parse_batch(items)
    assert errors == []
    mention_services.mentions_ingest(mentions=mentions, source="api")


@pytest.fixture
def term(team_lead):
    return mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")


@pytest.fixture
def rule(term, team_lead):
    return SpikeRule.objects.create(
        name="Acme spike",
        watch_term=term,
        min_count=20,
        volume_factor=3,
        negative_share_rise=0.5,
        cooldown_minutes=120,
        created_by=team_lead,
    )


def baseline_series(start, days=8):
    """Four quiet mentions an hour, one in ten negative, for ``days`` days."""
    items, n = [], 0
    for hour in range(days * 24):
        for minute in (5, 20, 35, 50):
            n += 1
            items.append(post(n, start + timedelta(hours=hour, minutes=minute), negative=n % 10 == 0))
    return items


def test_fires_at_the_spike_not_before_and_respects_cooldown(rule):
    items = baseline_series(START, days=9)
    for chunk in range(0, len(items), 1000):
        ingest(items[chunk : chunk + 1000])
    # Quiet hours: nothing fires.
    for hours_before in (6, 3, 1):
        with time_machine.travel(SPIKE_AT - timedelta(hours=hours_before), tick=False):
            assert spikes.spikes_evaluate() == []
    # The spike: 40 mentions in 30 minutes, mostly negative.
    burst = [
        post(10_000 + i, SPIKE_AT - timedelta(minutes=30) + timedelta(seconds=40 * i), negative=i % 4 != 0)
        for i in range(40)
    ]
    ingest(burst)
    with time_machine.travel(SPIKE_AT, tick=False):
        alerts = spikes.spikes_evaluate()
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.count == 40 + 4  # the burst plus the quiet mentions of that hour
    assert alert.baseline == 4
    assert alert.negative_share > 0.6
    assert len(alert.evidence["mention_ids"]) == spikes.EVIDENCE_MENTIONS
    assert sum(bucket["count"] for bucket in alert.evidence["curve"]) >= alert.count
    assert OutboxEvent.objects.filter(event_type="alert.fired").count() == 1
    # More of the same within the cool-down: quiet.
    ingest([post(20_000 + i, SPIKE_AT + timedelta(minutes=i), negative=True) for i in range(30)])
    with time_machine.travel(SPIKE_AT + timedelta(minutes=31), tick=False):
        assert spikes.spikes_evaluate() == []
    # After the cool-down a still-spiking term fires again.
    ingest([post(30_000 + i, SPIKE_AT + timedelta(minutes=100 + i), negative=True) for i in range(40)])
    with time_machine.travel(SPIKE_AT + timedelta(minutes=141), tick=False):
        assert len(spikes.spikes_evaluate()) == 1
    assert Alert.objects.count() == 2


def test_below_min_count_never_fires(rule):
    ingest([post(i, SPIKE_AT - timedelta(minutes=i), negative=True) for i in range(19)])
    with time_machine.travel(SPIKE_AT, tick=False):
        assert spikes.spikes_evaluate() == []


def test_open_incident_action_opens_one_with_the_evidence(rule):
    rule.action = SpikeAction.OPEN_INCIDENT
    rule.save()
    ingest([post(i, SPIKE_AT - timedelta(minutes=i), negative=True) for i in range(25)])
    with time_machine.travel(SPIKE_AT, tick=False):
        (alert,) = spikes.spikes_evaluate()
    assert alert.incident is not None
    assert alert.incident.created_by == rule.created_by
    assert "Acme" in alert.incident.title
    assert Mention.objects.filter(incident=alert.incident).count() == 20
    assert alert.incident.timeline.filter(body__contains="Spike alert").exists()


def test_attach_action_links_the_open_incident(rule, incident):
    rule.action = SpikeAction.ATTACH
    rule.attach_to = incident
    rule.save()
    ingest([post(i, SPIKE_AT - timedelta(minutes=i), negative=True) for i in range(25)])
    with time_machine.travel(SPIKE_AT, tick=False):
        (alert,) = spikes.spikes_evaluate()
    assert alert.incident == incident


def test_ingest_queues_the_evaluation(rule, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    cache.clear()
    with time_machine.travel(SPIKE_AT, tick=False), django_capture_on_commit_callbacks(execute=True):
        ingest([post(i, SPIKE_AT - timedelta(minutes=i), negative=True) for i in range(25)])
    # Tasks run eagerly in tests: the alert exists as soon as the ingest committed.
    assert Alert.objects.filter(rule=rule).count() == 1
    cache.clear()
