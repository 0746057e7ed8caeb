"""Spike rules on a synthetic series: fire at the spike (not before), respect the cool-down, open incidents."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from crisisdesk.webhooks.models import OutboxEvent
from incidents.listening import parsing, spikes
from incidents.listening import services as mention_services
from incidents.listening.models import Alert, Mention, SpikeAction, SpikeRule

START = datetime(2026, 11, 10, 0, 0, tzinfo=UTC)
SPIKE_AT = START + timedelta(days=8, hours=14)


def post(n, at, *, negative=False):
    text = "Acme jar cracked, dangerous and disgusting" if negative else "Acme blender at the shop"
    return {"platform": "x", "external_id": f"m-{n}", "text": text, "posted_at": at.isoformat()}


def ingest(items):
    mentions, errors = parsing.parse_batch(items)
    assert errors == []
    mention_services.mentions_ingest(mentions=mentions, source="api")


@pytest.fixture
def term(team_lead):
    # Listened to since START: a silent day before the spike is a recorded zero, not missing history.
    with time_machine.travel(START, tick=False):
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
    # Evaluated in data time: the window ending at 13:45 already held 23 of the burst's mentions
    # plus that hour's 4 quiet ones — where a worker evaluating live would have fired.
    assert alert.window_end == SPIKE_AT - timedelta(minutes=15)
    assert alert.fired_at == SPIKE_AT
    assert alert.count == 23 + 4
    assert alert.baseline == 4
    assert alert.evidence["baseline_windows"] == [f"day{d}" for d in range(1, 8)]
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
    # Measured between window ends: the second alert's window ends two hours after the first's.
    first, second = Alert.objects.order_by("window_end")
    assert second.window_end - first.window_end >= timedelta(minutes=120)


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


# --- a crisis replayed through the bulk API, on a term with no history ----------------------------

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def replay_series():
    """Six hours: 30 mentions an hour (one in ten negative), then 20 minutes of 150 angry ones, then calm."""
    items, n = [], 0
    start = NOW - timedelta(hours=6)
    for minute in range(6 * 60):
        at = start + timedelta(minutes=minute)
        if minute % 2 == 0:
            n += 1
            items.append(post(n, at, negative=n % 10 == 0))
        if 240 <= minute < 260:  # the spike, four hours in
            for k in range(7):
                n += 1
                items.append(post(n, at + timedelta(seconds=8 * k), negative=k != 0))
    return items


@pytest.fixture
def new_term(team_lead):
    # Created just before the replay: the replayed mentions are older than the term.
    with time_machine.travel(NOW - timedelta(minutes=5), tick=False):
        return mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")


@pytest.fixture
def replay_rule(new_term, team_lead):
    with time_machine.travel(NOW - timedelta(minutes=4), tick=False):
        return mention_services.spike_rule_save(
            actor=team_lead,
            data={"name": "Replay", "watch_term": new_term, "min_count": 20, "negative_share_rise": 0.3},
        )


def test_a_replayed_crisis_fires_once_at_the_spike(replay_rule):
    items = replay_series()
    alerts = []
    with time_machine.travel(NOW, tick=False):
        # Pushed in order, 500 at a time, each batch evaluated as the worker would after it.
        for chunk in range(0, len(items), 500):
            ingest(items[chunk : chunk + 500])
            alerts += spikes.spikes_evaluate(term_ids=[replay_rule.watch_term_id])
    assert len(alerts) == 1
    (alert,) = alerts
    spike_start = NOW - timedelta(hours=2)
    # Fired in the spike's first quarter hour, with the windows just before as the baseline.
    assert spike_start < alert.window_end <= spike_start + timedelta(minutes=15)
    assert alert.evidence["baseline_windows"] == ["prev1", "prev2", "prev3"]
    assert alert.baseline == pytest.approx(30, abs=2)
    assert alert.negative_share > 0.5
    # Not before the spike: the first hours (learning, then quiet against the hours before) stayed silent.
    assert Alert.objects.count() == 1


def test_a_replay_in_one_batch_gives_the_same_alert(replay_rule):
    with time_machine.travel(NOW, tick=False):
        items = replay_series()
        assert len(items) <= parsing.MAX_BATCH
        ingest(items)
        (alert,) = spikes.spikes_evaluate()
    # Evaluation points are aligned on the clock: the same data gives the same window.
    spike_start = NOW - timedelta(hours=2)
    assert spike_start < alert.window_end <= spike_start + timedelta(minutes=15)


def test_a_term_without_history_is_learning(replay_rule):
    # 100 angry mentions in the term's first half hour: nothing to compare with, so no alert.
    with time_machine.travel(NOW, tick=False):
        ingest([post(i, NOW - timedelta(seconds=18 * i), negative=True) for i in range(100)])
        assert spikes.spikes_evaluate() == []
    assert replay_rule.watch_term.created_at > NOW - timedelta(hours=1)


def test_a_new_rule_does_not_alert_about_a_past_spike(new_term, team_lead):
    with time_machine.travel(NOW, tick=False):
        ingest(replay_series())
        rule = mention_services.spike_rule_save(
            actor=team_lead, data={"name": "Late", "watch_term": new_term, "min_count": 20}
        )
        assert spikes.spikes_evaluate() == []
        rule.refresh_from_db()
        # It starts after the rows that existed when it was made; later mentions are stepped through.
        assert rule.evaluated_through > 0
        # A new burst, twice the size of the replayed one (which is now part of its baseline).
        ingest([post(90_000 + i, NOW - timedelta(seconds=4 * i), negative=True) for i in range(300)])
        (alert,) = spikes.spikes_evaluate()
    assert alert.window_end == NOW
    assert alert.rule == rule


def test_each_new_mention_is_stepped_through_once(replay_rule):
    with time_machine.travel(NOW, tick=False):
        ingest(replay_series())
        spikes.spikes_evaluate()
        replay_rule.refresh_from_db()
        through = replay_rule.evaluated_through
        # Nothing new: only "now" is evaluated, and the watermark stays.
        assert spikes.spikes_evaluate() == []
        replay_rule.refresh_from_db()
        assert replay_rule.evaluated_through == through


def test_evaluation_points_step_each_quarter_window():
    rule = SpikeRule(window_minutes=60)
    low = datetime(2026, 11, 20, 10, 7, tzinfo=UTC)
    high = datetime(2026, 11, 20, 10, 50, tzinfo=UTC)
    points = spikes.evaluation_points(rule=rule, low=low, high=high, now=NOW)
    assert [p.strftime("%H:%M") for p in points] == ["10:15", "10:30", "10:45", "10:50", "18:00"]
    # A backfill of weeks is capped to the most recent points.
    points = spikes.evaluation_points(rule=rule, low=low - timedelta(days=30), high=high, now=NOW)
    assert len(points) == spikes.MAX_POINTS and points[-1] == NOW
    # Mentions dated in the future (a skewed clock) are evaluated at now at the latest.
    points = spikes.evaluation_points(rule=rule, low=NOW, high=NOW + timedelta(hours=3), now=NOW)
    assert points == [NOW]


def test_an_alert_emails_the_team_leads_who_may_see_it(
    rule, team_lead, lead2, communicator, confidential_incident, mailoutbox, django_capture_on_commit_callbacks
):
    # Attached to a confidential incident: lead2, outside its team, must learn nothing of it.
    rule.action = SpikeAction.ATTACH
    rule.attach_to = confidential_incident
    rule.save()
    confidential_incident.lead = team_lead
    confidential_incident.save(update_fields=["lead"])
    ingest([post(i, SPIKE_AT - timedelta(minutes=i), negative=True) for i in range(25)])
    with time_machine.travel(SPIKE_AT, tick=False), django_capture_on_commit_callbacks(execute=True):
        (alert,) = spikes.spikes_evaluate()
    assert alert.incident == confidential_incident
    (mail,) = mailoutbox
    assert mail.to == [team_lead.email]
    assert "Acme" in mail.subject and "25 mentions" in mail.subject
    assert f"/mentions/alerts/{alert.pk}/" in mail.body and confidential_incident.reference in mail.body


def test_an_alert_on_no_incident_emails_every_team_lead(
    rule, team_lead, lead2, mailoutbox, django_capture_on_commit_callbacks
):
    ingest([post(i, SPIKE_AT - timedelta(minutes=i), negative=True) for i in range(25)])
    with time_machine.travel(SPIKE_AT, tick=False), django_capture_on_commit_callbacks(execute=True):
        spikes.spikes_evaluate()
    (mail,) = mailoutbox
    assert sorted(mail.to) == sorted([team_lead.email, lead2.email])


def _fire_the_spike(rule):
    items = baseline_series(START, days=9)
    for chunk in range(0, len(items), 1000):
        ingest(items[chunk : chunk + 1000])
    burst = [
        post(10_000 + i, SPIKE_AT - timedelta(minutes=30) + timedelta(seconds=40 * i), negative=i % 4 != 0)
        for i in range(40)
    ]
    ingest(burst)
    with time_machine.travel(SPIKE_AT, tick=False):
        (alert,) = spikes.spikes_evaluate()
    return alert


def test_late_mentions_of_a_fired_window_update_the_alert(rule, client_for, team_lead):
    from django.core import mail

    alert = _fire_the_spike(rule)
    assert alert.count == 27
    fired_share = alert.negative_share
    sent = len(mail.outbox)
    # Ten hostile mentions posted inside the alert's window, delivered after it fired.
    late = [post(50_000 + i, alert.window_end - timedelta(minutes=10, seconds=i), negative=True) for i in range(10)]
    ingest(late)
    with time_machine.travel(SPIKE_AT + timedelta(minutes=5), tick=False):
        assert spikes.spikes_evaluate() == []  # no second alert for the same spike
    alert.refresh_from_db()
    assert alert.count == 37
    assert alert.negative_share > fired_share
    assert alert.evidence["fired_with"]["count"] == 27
    assert alert.evidence["late_mentions"] == 10
    assert alert.evidence["recomputed_at"] == (SPIKE_AT + timedelta(minutes=5)).isoformat()
    assert sum(bucket["count"] for bucket in alert.evidence["curve"]) >= 37
    # What it did is not done again: no second announcement, no second e-mail.
    assert OutboxEvent.objects.filter(event_type="alert.fired").count() == 1
    assert len(mail.outbox) == sent
    api = client_for(team_lead).get(f"/api/v1/alerts/{alert.pk}/").json()
    assert (api["count"], api["evidence"]["late_mentions"], api["evidence"]["fired_with"]["count"]) == (37, 10, 27)
    page = client_for(team_lead).get(f"/mentions/alerts/{alert.pk}/").content.decode()
    assert "Updated for late mentions: 10 of the window arrived after it fired with 27" in page


def test_mentions_outside_a_fired_window_leave_the_alert_as_fired(rule):
    alert = _fire_the_spike(rule)
    # Posted after the window's end: the next window's business, not this alert's.
    ingest([post(60_000 + i, alert.window_end + timedelta(minutes=1, seconds=i)) for i in range(5)])
    with time_machine.travel(SPIKE_AT + timedelta(minutes=5), tick=False):
        spikes.spikes_evaluate()
    alert.refresh_from_db()
    assert alert.count == 27
    assert "recomputed_at" not in alert.evidence
    api_shape = {"late_mentions": 0, "recomputed_at": None, "fired_with": None}
    from incidents.listening.api.serializers import AlertSerializer

    assert {k: AlertSerializer(alert).data["evidence"][k] for k in api_shape} == api_shape
