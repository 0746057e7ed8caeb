"""The transactional outbox: events commit or roll back with the change they report, and only real,
permitted incidents reach subscribers. Tasks run eagerly here (no broker), on commit.
"""

import time
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from crisisdesk.review import services as review
from crisisdesk.review.tests.helpers import approved_key_message, make_statement, statement_in
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, role
from crisisdesk.webhooks import emit, services, tasks
from crisisdesk.webhooks.models import Delivery, DeliveryStatus, OutboxEvent
from incidents import services as incident_services
from incidents.models import Status

from .receiver import verify

pytestmark = pytest.mark.django_db


def received_types(receiver) -> list[str]:
    return [request.json()["type"] for request in receiver.accepted()]


def test_a_rolled_back_change_emits_nothing(communicator, subscription, receiver, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        incident_services.incident_open(actor=communicator, title="Opened, then the caller fails")
        # Inside the transaction the outbox row exists, with its delivery…
        assert OutboxEvent.objects.count() == 1
        assert Delivery.objects.count() == 1
        raise RuntimeError("something after the emit fails")

    # …and it vanished with the rollback: no row, no task, no request.
    assert callbacks == []
    assert OutboxEvent.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert receiver.requests == []


def test_a_rolled_back_publish_sends_no_statement_published(
    communicator, legal, incident, subscription, receiver, django_capture_on_commit_callbacks
):
    statement = statement_in(
        "approved", author=communicator, reviewer=legal, publisher=communicator, withdrawer=legal, incident=incident
    )
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        review.review_publish(actor=communicator, item=statement)
        raise RuntimeError("the request dies after the publish")

    assert not OutboxEvent.objects.filter(event_type="statement.published").exists()
    assert "statement.published" not in received_types(receiver)


def test_a_committed_change_emits_one_signed_event(
    communicator, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        incident = incident_services.incident_open(actor=communicator, title="Viral complaint about refunds")

    # One delivery enqueued after commit (the other callbacks bump the live pages' topics).
    enqueued = [c for c in callbacks if getattr(c, "func", None) is services.enqueue_deliveries]
    assert len(enqueued) == 1 and enqueued[0].args == ([Delivery.objects.get().pk],)
    event = OutboxEvent.objects.get()
    assert (event.event_type, event.incident, event.confidential) == ("incident.opened", incident, False)
    assert event.payload["incident"]["reference"] == incident.reference
    assert event.payload["actor"] == "comms"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 1, 200)
    [request] = receiver.accepted()
    body = verify(secret=subscription.secret, headers=request.headers, body=request.body, now=int(time.time()))
    assert body == {
        "id": str(event.id),
        "type": "incident.opened",
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.payload,
    }
    assert request.headers["webhook-id"] == str(event.id)
    assert request.headers["content-type"] == "application/json"


def test_a_committed_event_survives_a_broker_outage(
    communicator, subscription, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    # Production mode with Redis down: enqueueing fails after the commit.
    monkeypatch.setattr(services, "_eager", lambda: False)

    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(tasks.deliver_webhook, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_services.incident_open(actor=communicator, title="Opened while Redis is down")

    # The change committed and the page did not fail; the delivery waits in the outbox.
    assert incident.pk is not None
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert receiver.requests == []

    # Redis is back: the beat sweep finds the delivery once it is overdue past the grace period.
    monkeypatch.undo()
    assert services.sweep_due_deliveries() == 0
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert services.sweep_due_deliveries() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert received_types(receiver) == ["incident.opened"]


def test_status_and_severity_changes_carry_from_and_to(
    team_lead, incident, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.incident_change_status(actor=team_lead, incident=incident, to_status=Status.INVESTIGATING)
        incident_services.incident_set_severity(actor=team_lead, incident=incident, severity=1, comment="Press calls")
        # No change, no event.
        incident_services.incident_set_severity(actor=team_lead, incident=incident, severity=1)

    bodies = [request.json() for request in receiver.accepted()]
    assert [body["type"] for body in bodies] == ["incident.status_changed", "incident.severity_changed"]
    assert (bodies[0]["data"]["from"], bodies[0]["data"]["to"]) == ("detected", "investigating")
    assert bodies[0]["data"]["incident"]["status"] == "investigating"
    assert (bodies[1]["data"]["from"], bodies[1]["data"]["to"]) == (3, 1)
    assert bodies[1]["data"]["incident"]["severity"] == 1


def test_a_refused_change_emits_nothing(communicator, incident, subscription, receiver):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        incident_services.incident_set_severity(actor=communicator, incident=incident, severity=1)
    assert OutboxEvent.objects.count() == 0


def test_a_statement_sends_submitted_approved_published_withdrawn(
    communicator, legal, incident, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        statement = statement_in(
            "withdrawn",
            author=communicator,
            reviewer=legal,
            publisher=communicator,
            withdrawer=legal,
            incident=incident,
        )

    bodies = [request.json() for request in receiver.accepted()]
    assert [body["type"] for body in bodies] == [
        "statement.submitted",
        "statement.approved",
        "statement.published",
        "statement.withdrawn",
    ]
    published = bodies[2]["data"]
    assert published["statement"]["id"] == statement.pk
    assert published["statement"]["incident"] == incident.reference
    assert published["statement"]["body"] == statement.body
    assert published["statement"]["published_at"] is not None
    assert (published["from"], published["to"], published["actor"]) == ("approved", "published", "comms")
    # An ordinary subscription is an outside system: the lead's reason stays inside (issue 12;
    # test_internal_drafts.py covers subscriptions flagged include_internal_drafts).
    assert "withdrawal_reason" not in bodies[3]["data"]["statement"]
    assert "body" not in bodies[0]["data"]["statement"]


def test_severity_1_statement_is_approved_once_both_approvals_are_in(
    communicator, legal, team_lead, subscription, receiver, django_capture_on_commit_callbacks
):
    incident = IncidentFactory(severity=1, lead=team_lead)
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    with django_capture_on_commit_callbacks(execute=True):
        statement = make_statement(author=communicator, incident=incident)
        review.review_submit(actor=communicator, item=statement)
        statement.refresh_from_db()
        review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
        statement.refresh_from_db()
        assert statement.status == "in_review"
        review.review_approve(actor=team_lead, item=statement, revision=statement.current_revision)

    assert received_types(receiver) == ["statement.submitted", "statement.approved"]


def test_a_verbatim_key_message_statement_is_approved_at_once(
    communicator, legal, incident, subscription, receiver, django_capture_on_commit_callbacks
):
    key_message = approved_key_message(author=communicator, reviewer=legal)
    with django_capture_on_commit_callbacks(execute=True):
        statement = make_statement(
            author=communicator, incident=incident, from_key_message=key_message, title=None, body=None
        )

    assert statement.status == "approved"
    assert received_types(receiver) == ["statement.approved"]


def test_exercise_incidents_emit_nothing(
    communicator, legal, team_lead, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        drill = incident_services.incident_open(actor=team_lead, title="Drill", is_exercise=True)
        incident_services.incident_change_status(actor=team_lead, incident=drill, to_status=Status.RESPONDING)
        incident_services.incident_set_severity(actor=team_lead, incident=drill, severity=2)
        statement_in(
            "withdrawn", author=communicator, reviewer=legal, publisher=communicator, withdrawer=legal, incident=drill
        )

    assert OutboxEvent.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert receiver.requests == []


def test_confidential_incidents_reach_only_subscriptions_that_include_them(
    team_lead, make_subscription, receiver, django_capture_on_commit_callbacks
):
    make_subscription(receiver.url, name="Publishing tool")
    make_subscription(receiver.url + "?confidential", name="Legal archive", include_confidential=True)
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.incident_open(actor=team_lead, title="Leaked memo", confidential=True)

    event = OutboxEvent.objects.get()
    assert event.confidential is True
    assert list(Delivery.objects.values_list("subscription__name", flat=True)) == ["Legal archive"]
    assert [request.path for request in receiver.accepted()] == ["/hooks/crisisdesk?confidential"]


def test_only_active_subscriptions_to_the_event_type_get_a_delivery(
    communicator, make_subscription, receiver, django_capture_on_commit_callbacks
):
    make_subscription(receiver.url, name="Openings", event_types=["incident.opened"])
    make_subscription(receiver.url, name="Statements", event_types=["statement.published"])
    make_subscription(receiver.url, name="Paused", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.incident_open(actor=communicator, title="Refund complaints")

    assert list(Delivery.objects.values_list("subscription__name", flat=True)) == ["Openings"]
    assert len(receiver.accepted()) == 1


def test_an_event_without_subscribers_is_still_recorded(communicator):
    incident_services.incident_open(actor=communicator, title="Nobody listens")
    assert OutboxEvent.objects.filter(event_type="incident.opened").count() == 1
    assert Delivery.objects.count() == 0


def test_an_unregistered_event_type_is_a_programming_error():
    with pytest.raises(ValueError, match="register it"):
        emit(event_type="incident.exploded", payload={})
    assert OutboxEvent.objects.count() == 0
