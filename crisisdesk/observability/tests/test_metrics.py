"""/metrics: off by default, token and allow-list, product numbers from seeded rows, a flat query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from crisisdesk.chat import services as chat_services
from crisisdesk.chat.models import ChatDelivery
from crisisdesk.observability import heartbeat, registry
from crisisdesk.review import services as review
from crisisdesk.review.tests.helpers import make_statement
from crisisdesk.testing.factories import IncidentFactory
from crisisdesk.webhooks import events
from crisisdesk.webhooks import services as webhook_services
from crisisdesk.webhooks.models import Delivery, DeliveryStatus, OutboxEvent
from incidents.listening.models import Alert, Mention
from incidents.listening.tests.alert_helpers import make_alert, make_rule

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-scrape-token"  # noqa: S105 — a test value


@pytest.fixture
def scrape(client, settings):
    """``scrape()`` → {sample name with labels: value} from an authorised GET /metrics."""
    settings.CRISISDESK_METRICS_TOKEN = TOKEN

    def get() -> dict:
        response = client.get(reverse("metrics"), headers={"authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain; version=")
        return samples(response.content.decode())

    return get


def samples(text: str) -> dict:
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{key}={value}" for key, value in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


# --- access ----------------------------------------------------------------------------------


def test_off_by_default(client, settings):
    settings.CRISISDESK_METRICS_TOKEN = ""
    settings.CRISISDESK_METRICS_ALLOW = []
    assert client.get(reverse("metrics")).status_code == 404
    assert client.get(reverse("metrics"), headers={"authorization": "Bearer "}).status_code == 404


def test_a_token_is_required_when_set(client, settings, outsider):
    settings.CRISISDESK_METRICS_TOKEN = TOKEN
    url = reverse("metrics")
    assert client.get(url).status_code == 403
    assert client.get(url, headers={"authorization": "Bearer wrong"}).status_code == 403
    assert client.get(url, headers={"authorization": f"Basic {TOKEN}"}).status_code == 403
    # A signed-in user is no scraper: the session gives nothing.
    client.force_login(outsider)
    response = client.get(url)
    assert response.status_code == 403
    assert "crisisdesk_" not in response.content.decode()
    assert client.get(url, headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_the_allow_list_hides_the_endpoint_from_other_addresses(client, settings):
    settings.CRISISDESK_METRICS_TOKEN = ""
    settings.CRISISDESK_METRICS_ALLOW = ["10.0.0.0/8", "2001:db8::/32", "not-a-network"]
    url = reverse("metrics")
    assert client.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get(url, REMOTE_ADDR="2001:db8::5").status_code == 200
    assert client.get(url, REMOTE_ADDR="192.168.1.1").status_code == 404
    assert client.get(url, REMOTE_ADDR="").status_code == 404


def test_token_and_allow_list_both_apply(client, settings):
    settings.CRISISDESK_METRICS_TOKEN = TOKEN
    settings.CRISISDESK_METRICS_ALLOW = ["127.0.0.1/32"]
    url = reverse("metrics")
    auth = {"authorization": f"Bearer {TOKEN}"}
    assert client.get(url, headers=auth, REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get(url, REMOTE_ADDR="127.0.0.1").status_code == 403
    assert client.get(url, headers=auth, REMOTE_ADDR="10.0.0.1").status_code == 404


def test_only_get(client, settings):
    settings.CRISISDESK_METRICS_TOKEN = TOKEN
    response = client.post(reverse("metrics"), headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 405


# --- values ------------------------------------------------------------------------------------


def test_an_empty_database_reads_zeros_and_process_metrics(scrape):
    values = scrape()
    assert values["crisisdesk_alerts_fired_total"] == 0
    assert values["crisisdesk_alerts_unhandled"] == 0
    assert values["crisisdesk_outbox_backlog{channel=webhook}"] == 0
    assert values["crisisdesk_outbox_oldest_age_seconds{channel=chat}"] == 0
    assert values["crisisdesk_delivery_dead_letters{channel=webhook}"] == 0
    assert values["crisisdesk_response_clocks_overdue{exercise=false}"] == 0
    assert values["crisisdesk_metrics_provider_errors"] == 0
    assert not any(name.startswith("crisisdesk_review_queue_size") for name in values)
    # prometheus-client's own process and runtime metrics.
    assert "process_resident_memory_bytes" in values
    assert any(name.startswith("python_info") for name in values)


def seed(*, communicator, team_lead, admin_user, now, rows: int = 1, batch: str = "a"):
    """``rows`` of each: reviews waiting, alerts, mentions, webhook and chat deliveries, an overdue incident."""
    rule = make_rule(team_lead, term=f"Acme {batch}")
    for n in range(rows):
        incident = IncidentFactory(detected_at=now - timedelta(days=1))
        review.review_submit(actor=communicator, item=make_statement(author=communicator, incident=incident))
        alert = make_alert(rule, mentions=1)
        if n % 2:
            Alert.objects.filter(pk=alert.pk).update(handling="dismissed", dismiss_reason="Noise.", handled_at=now)
        Mention.objects.create(
            platform="facebook", external_id=f"fb-{batch}-{n}", text="Acme", posted_at=now, source="api"
        )
    subscription = webhook_services.subscription_create(
        actor=admin_user, name=f"Receiver {batch}", url="https://hooks.example/in", event_types=list(events.EVENT_TYPES)
    )
    destination = chat_services.destination_create(
        actor=admin_user, name=f"Room {batch}", url="json://127.0.0.1:9/hook", event_types=list(events.EVENT_TYPES)
    )
    for _ in range(rows):
        event = OutboxEvent.objects.create(event_type="incident.created", payload={}, created_at=now)
        Delivery.objects.create(event=event, subscription=subscription, next_attempt_at=now)
        ChatDelivery.objects.create(
            destination=destination, event_type="incident.created", title="t", body="b", next_attempt_at=now
        )
    return subscription, destination


def test_values_against_seeded_rows(scrape, communicator, team_lead, admin_user, time_machine):
    now = timezone.now()
    time_machine.move_to(now - timedelta(minutes=20), tick=False)
    subscription, destination = seed(communicator=communicator, team_lead=team_lead, admin_user=admin_user, now=now)
    time_machine.move_to(now, tick=False)
    # One dead letter per channel, and one more webhook delivery waiting since 5 minutes ago.
    old_event = OutboxEvent.objects.create(event_type="incident.updated", payload={}, created_at=now)
    Delivery.objects.create(event=old_event, subscription=subscription, status=DeliveryStatus.DEAD)
    ChatDelivery.objects.create(
        destination=destination, event_type="incident.updated", title="t", body="b", status=DeliveryStatus.DEAD
    )
    Mention.objects.create(platform="rss", external_id="r1", text="Acme", posted_at=now, source="feed")

    values = scrape()

    assert values["crisisdesk_review_queue_size{kind=incidents.statement}"] == 1
    assert values["crisisdesk_review_queue_oldest_wait_seconds{kind=incidents.statement}"] == pytest.approx(1200)
    assert values["crisisdesk_alerts_fired_total"] == 1
    assert values["crisisdesk_alerts_unhandled"] == 1
    assert values["crisisdesk_mentions_ingested_total{platform=facebook,source=api}"] == 1
    assert values["crisisdesk_mentions_ingested_total{platform=rss,source=feed}"] == 1
    # The alert's evidence mention came without a source.
    assert values["crisisdesk_mentions_ingested_total{platform=x,source=unknown}"] == 1
    assert values["crisisdesk_outbox_backlog{channel=webhook}"] == 1
    assert values["crisisdesk_outbox_backlog{channel=chat}"] == 1
    assert values["crisisdesk_outbox_oldest_age_seconds{channel=webhook}"] == pytest.approx(1200)
    assert values["crisisdesk_outbox_oldest_age_seconds{channel=chat}"] == pytest.approx(1200)
    assert values["crisisdesk_delivery_dead_letters{channel=webhook}"] == 1
    assert values["crisisdesk_delivery_dead_letters{channel=chat}"] == 1
    assert values["crisisdesk_delivery_retrying{channel=webhook}"] == 0
    # Detected a day ago, never acknowledged: every severity's acknowledge clock is overdue.
    assert values["crisisdesk_response_clocks_overdue{exercise=false}"] == 1
    assert values["crisisdesk_response_clocks_overdue{exercise=true}"] == 0


def test_an_acknowledged_incident_in_time_is_not_overdue(scrape):
    now = timezone.now()
    IncidentFactory(detected_at=now - timedelta(minutes=1), acknowledged_at=now)
    IncidentFactory(detected_at=now - timedelta(days=1), is_exercise=True)
    values = scrape()
    assert values["crisisdesk_response_clocks_overdue{exercise=false}"] == 0
    assert values["crisisdesk_response_clocks_overdue{exercise=true}"] == 1


def test_heartbeat_ages_when_tasks_run_on_workers(scrape, settings, time_machine):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    now = timezone.now()
    time_machine.move_to(now - timedelta(seconds=90), tick=False)
    heartbeat.record(heartbeat.WORKER)
    time_machine.move_to(now, tick=False)
    values = scrape()
    assert values["crisisdesk_heartbeat_age_seconds{process=worker}"] == pytest.approx(90)
    # Never seen: no sample (alert on its absence).
    assert "crisisdesk_heartbeat_age_seconds{process=beat}" not in values


def test_a_failing_provider_is_counted_not_fatal(scrape, monkeypatch):
    def broken(now):
        raise RuntimeError("boom")

    monkeypatch.setattr(registry, "_providers", [*registry._providers, broken])
    values = scrape()
    assert values["crisisdesk_metrics_provider_errors"] == 1
    assert values["crisisdesk_alerts_fired_total"] == 0


def test_the_apps_registered_their_providers():
    names = {provider.__module__ for provider in registry.registered_providers()}
    assert {"crisisdesk.observability.providers", "incidents.listening.metrics", "incidents.response.metrics"} <= names


def test_query_count_is_flat(scrape, communicator, team_lead, admin_user, client):
    """The same number of queries for 1 and for 5 rows of everything (aggregates, not loops)."""
    now = timezone.now()
    seed(communicator=communicator, team_lead=team_lead, admin_user=admin_user, now=now, rows=1)
    with CaptureQueriesContext(connection) as one:
        scrape()
    seed(communicator=communicator, team_lead=team_lead, admin_user=admin_user, now=now, rows=4, batch="b")
    with CaptureQueriesContext(connection) as five:
        values = scrape()
    assert values["crisisdesk_review_queue_size{kind=incidents.statement}"] == 5
    assert values["crisisdesk_response_clocks_overdue{exercise=false}"] == 5
    assert len(one) == len(five)
    # review queue 1, outbox 2 (webhook, chat), alerts 1, mentions 1, response clocks 3.
    assert len(five) == 8, [query["sql"] for query in five.captured_queries]
