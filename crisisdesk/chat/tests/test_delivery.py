"""Chat deliveries from the outbox against real local receivers (Apprise's JSON and Mattermost targets).

Tasks run eagerly here (no broker), on commit. Retries are driven by the service or the sweep.
"""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from crisisdesk.chat import services, tasks
from crisisdesk.chat.models import ChatDelivery
from crisisdesk.review.tests.helpers import statement_in
from crisisdesk.webhooks.models import Delivery, DeliveryStatus, OutboxEvent
from crisisdesk.webhooks.tests.receiver import Receiver
from incidents import services as incident_services

pytestmark = pytest.mark.django_db


def messages_at(receiver) -> list[dict]:
    return [request.json() for request in receiver.accepted()]


def test_a_committed_event_is_delivered_once_as_json(
    communicator, destination, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_services.incident_open(actor=communicator, title="Secret-ish free text", severity=2)

    delivery = ChatDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.event.event_type) == (
        DeliveryStatus.DELIVERED,
        1,
        "incident.opened",
    )
    assert delivery.attempt_log.get().succeeded is True
    [message] = messages_at(receiver)
    assert receiver.accepted()[0].path == "/hook"
    assert message["title"] == f"Incident {incident.reference} opened"
    assert "Severity: 2" in message["message"]
    # Public surface: never the incident's free-text title.
    assert "Secret-ish" not in message["title"] + message["message"]
    # Running the task again (a duplicate message) sends nothing more.
    assert tasks.deliver_chat(delivery.pk) == "done"
    assert len(receiver.accepted()) == 1


def test_mattermost_incoming_webhook_on_a_local_server(
    communicator, make_destination, receiver, django_capture_on_commit_callbacks
):
    make_destination(f"mmost://127.0.0.1:{receiver.port}/abcdef123token", event_types=["incident.opened"])
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_services.incident_open(actor=communicator, title="Refunds")

    [request] = receiver.accepted()
    assert request.path == "/hooks/abcdef123token"
    assert f"Incident {incident.reference} opened" in request.json()["text"]
    assert ChatDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_a_rolled_back_change_sends_nothing(communicator, destination, receiver, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        incident_services.incident_open(actor=communicator, title="Opened, then the caller fails")
        assert ChatDelivery.objects.count() == 1
        raise RuntimeError("boom")

    assert callbacks == []
    assert ChatDelivery.objects.count() == 0
    assert receiver.requests == []


def test_receiver_down_then_up_is_delivered_by_the_sweep(
    communicator, make_destination, django_capture_on_commit_callbacks
):
    down = Receiver()  # a port nobody listens on yet: connection refused
    make_destination(f"json://127.0.0.1:{down.port}/hook", event_types=["incident.opened"])
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.incident_open(actor=communicator, title="Refunds")

    delivery = ChatDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.failures) == (DeliveryStatus.RETRYING, 1, 1)
    assert delivery.next_attempt_at > timezone.now()
    assert delivery.last_error
    # Not due yet: the sweep leaves it alone.
    assert services.sweep_due_chat_deliveries(grace_seconds=0) == 0

    down.start()
    try:
        with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=True):
            # Due, but not yet overdue by the grace period: the retry message, not the sweep, sends it.
            assert tasks.sweep_due_chat_deliveries.run() == 0
            assert services.sweep_due_chat_deliveries(grace_seconds=0) == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.failures) == (DeliveryStatus.DELIVERED, 2, 0)
        assert [a.succeeded for a in delivery.attempt_log.all()] == [False, True]
        assert len(down.accepted()) == 1
    finally:
        down.stop()


def test_a_500_is_retried_then_delivered(communicator, destination, receiver, django_capture_on_commit_callbacks):
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.incident_open(actor=communicator, title="Refunds")
    delivery = ChatDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert "500" in delivery.last_error

    receiver.status = 200
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=True):
        assert services.chat_delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.DELIVERED
    assert len(receiver.accepted()) == 1


@override_settings(WEBHOOK_MAX_ATTEMPTS=3)
def test_dead_letter_after_the_retry_limit(communicator, destination, receiver, django_capture_on_commit_callbacks):
    receiver.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.incident_open(actor=communicator, title="Refunds")
    delivery = ChatDelivery.objects.get()
    for _ in range(2):
        with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=True):
            services.chat_delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.DEAD, 3, None)
    assert services.sweep_due_chat_deliveries(now=timezone.now() + timedelta(days=1), grace_seconds=0) == 0
    assert len(receiver.requests) == 3


def test_confidential_incidents_reach_only_flagged_destinations(
    team_lead, make_destination, receiver, django_capture_on_commit_callbacks
):
    make_destination(f"json://127.0.0.1:{receiver.port}/public", name="Company chat")
    make_destination(f"json://127.0.0.1:{receiver.port}/legal", name="Legal room", include_confidential=True)
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.incident_open(actor=team_lead, title="Leaked memo", confidential=True)

    assert list(ChatDelivery.objects.values_list("destination__name", flat=True)) == ["Legal room"]
    assert [request.path for request in receiver.accepted()] == ["/legal"]


def test_exercises_are_sent_prefixed_and_still_emit_no_webhook(
    team_lead, destination, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        drill = incident_services.incident_open(actor=team_lead, title="Drill", is_exercise=True)

    assert OutboxEvent.objects.count() == 0
    assert Delivery.objects.count() == 0
    delivery = ChatDelivery.objects.get()
    assert (delivery.event, delivery.incident) == (None, drill)
    [message] = messages_at(receiver)
    assert message["title"] == f"[EXERCISE] Incident {drill.reference} opened"


def test_severity_filter(communicator, make_destination, receiver, django_capture_on_commit_callbacks):
    make_destination(f"json://127.0.0.1:{receiver.port}/critical", name="Pager", min_severity=1)
    make_destination(f"json://127.0.0.1:{receiver.port}/all", name="Room", min_severity=4)
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.incident_open(actor=communicator, title="Minor", severity=3)
        incident_services.incident_open(actor=communicator, title="Major", severity=1)

    paths = sorted(request.path for request in receiver.accepted())
    assert paths == ["/all", "/all", "/critical"]


def test_only_active_destinations_of_the_event_type(
    communicator, make_destination, receiver, django_capture_on_commit_callbacks
):
    make_destination(f"json://127.0.0.1:{receiver.port}/open", name="Openings", event_types=["incident.opened"])
    make_destination(f"json://127.0.0.1:{receiver.port}/pub", name="Statements", event_types=["statement.published"])
    make_destination(f"json://127.0.0.1:{receiver.port}/off", name="Paused", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.incident_open(actor=communicator, title="Refunds")
    assert list(ChatDelivery.objects.values_list("destination__name", flat=True)) == ["Openings"]


@override_settings(CRISISDESK_SITE_URL="https://crisis.example.org")
def test_published_statement_carries_reviewed_title_and_links_only(
    communicator, legal, incident, make_destination, receiver, django_capture_on_commit_callbacks
):
    from crisisdesk.review import services as review

    make_destination(
        f"json://127.0.0.1:{receiver.port}/hook", event_types=["statement.published", "statement.withdrawn"]
    )
    statement = statement_in(
        "approved", author=communicator, reviewer=legal, publisher=communicator, withdrawer=legal, incident=incident
    )
    with django_capture_on_commit_callbacks(execute=True):
        review.review_publish(actor=communicator, item=statement)

    [message] = messages_at(receiver)
    statement.refresh_from_db()
    assert message["title"] == f"Incident {incident.reference}: statement published"
    assert statement.title in message["message"]
    assert f"https://crisis.example.org/incidents/{incident.reference}/" in message["message"]
    assert statement.body not in message["message"]
    assert incident.title not in message["message"]


def test_an_env_reference_is_read_at_send_time(
    communicator, make_destination, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    make_destination("env:CHAT_TEST_URL", event_types=["incident.opened"])
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.incident_open(actor=communicator, title="Refunds")
    delivery = ChatDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert "CHAT_TEST_URL" in delivery.last_error

    monkeypatch.setenv("CHAT_TEST_URL", f"json://127.0.0.1:{receiver.port}/from-env")
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=True):
        services.chat_delivery_attempt(delivery_id=delivery.pk)
    assert [request.path for request in receiver.accepted()] == ["/from-env"]


def test_a_deactivated_destination_dead_letters_its_open_deliveries(
    communicator, admin_user, destination, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.incident_open(actor=communicator, title="Refunds")
    services.destination_update(actor=admin_user, destination=destination, is_active=False)
    delivery = ChatDelivery.objects.get()
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=True):
        assert services.chat_delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.DEAD
    assert len(receiver.requests) == 1


def test_email_through_apprise_mailto_to_a_local_smtp_server(
    communicator, make_destination, django_capture_on_commit_callbacks
):
    from .smtp import SMTPSink

    sink = SMTPSink().start()
    try:
        make_destination(
            f"mailto://127.0.0.1:{sink.port}?to=duty@example.org&from=crisisdesk@example.org&mode=insecure",
            event_types=["incident.opened"],
        )
        with django_capture_on_commit_callbacks(execute=True):
            incident = incident_services.incident_open(actor=communicator, title="Free text stays home")
    finally:
        sink.stop()

    assert ChatDelivery.objects.get().status == DeliveryStatus.DELIVERED
    [mail] = sink.messages
    assert mail["Subject"] == f"Incident {incident.reference} opened"
    assert "duty@example.org" in sink.envelopes[0][1][0]
    assert "Free text" not in mail.as_string()
