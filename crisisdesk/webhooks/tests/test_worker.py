"""End to end with real parts: Redis, a Celery worker process (with embedded beat), PostgreSQL, a local receiver.

The worker fixtures (``start_worker``, ``broker``, ``wait_until``) are ``crisisdesk.testing.worker``'s.
"""

import time

import pytest
from django.db import transaction

from crisisdesk.review import services as review
from crisisdesk.review.tests.helpers import statement_in
from crisisdesk.testing.worker import free_port, wait_until
from crisisdesk.webhooks import emit
from crisisdesk.webhooks.models import Delivery, DeliveryStatus, OutboxEvent
from incidents import services as incident_services

from .receiver import Receiver, verify

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def live_receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def test_a_published_statement_arrives_signed_at_the_receiver(
    start_worker, live_receiver, make_subscription, communicator, legal, incident
):
    subscription = make_subscription(live_receiver.url, event_types=["statement.published"])
    worker = start_worker()
    statement = statement_in(
        "approved", author=communicator, reviewer=legal, publisher=communicator, withdrawer=legal, incident=incident
    )
    review.review_publish(actor=communicator, item=statement)

    wait_until(lambda: live_receiver.accepted(), timeout=30, what="the webhook", worker_log=worker.output)
    wait_until(
        lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).exists(),
        timeout=10,
        what="the delivery to be marked delivered",
        worker_log=worker.output,
    )
    [request] = live_receiver.accepted()
    body = verify(secret=subscription.secret, headers=request.headers, body=request.body, now=int(time.time()))
    event = OutboxEvent.objects.get(event_type="statement.published")
    assert body["id"] == request.headers["webhook-id"] == str(event.id)
    assert body["type"] == "statement.published"
    assert body["data"]["statement"]["id"] == statement.pk
    assert body["data"]["statement"]["status"] == "published"
    # The worker, not this process, sent it (tasks are not eager here).
    assert "webhooks.deliver" in worker.output()


def test_a_receiver_down_for_a_while_gets_every_event_exactly_once(start_worker, make_subscription, communicator):
    receiver = Receiver(port=free_port())  # not started: connection refused
    make_subscription(receiver.url, event_types=["incident.opened"])
    worker = start_worker()
    incidents = [incident_services.incident_open(actor=communicator, title=f"Outage report {n}") for n in range(10)]
    event_ids = {str(event_id) for event_id in OutboxEvent.objects.values_list("id", flat=True)}
    assert len(event_ids) == len(incidents)

    wait_until(
        lambda: Delivery.objects.filter(status=DeliveryStatus.RETRYING, failures__gte=2).count() == 10,
        timeout=30,
        what="every delivery to fail twice while the receiver is down",
        worker_log=worker.output,
    )
    receiver.start()
    try:
        wait_until(
            lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 10,
            timeout=60,
            what="every delivery once the receiver is back",
            worker_log=worker.output,
        )
        time.sleep(2)  # a duplicate, if any, would show up now (sweeps run every second)
        received = receiver.accepted_ids()
    finally:
        receiver.stop()

    assert sorted(received) == sorted(event_ids), "each event exactly once"
    assert all(request.answered == 200 for request in receiver.requests)
    assert min(Delivery.objects.values_list("attempts", flat=True)) >= 3


def test_killing_the_worker_mid_batch_loses_nothing(start_worker, live_receiver, make_subscription):
    make_subscription(live_receiver.url, event_types=["incident.opened"])
    live_receiver.delay = 0.15
    first = start_worker()
    for n in range(30):
        with transaction.atomic():
            emit(event_type="incident.opened", payload={"n": n})
    event_ids = {str(event_id) for event_id in OutboxEvent.objects.values_list("id", flat=True)}

    wait_until(
        lambda: len(live_receiver.accepted()) >= 5, timeout=30, what="the batch to start", worker_log=first.output
    )
    first.kill()
    delivered_before = Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
    assert delivered_before < 30, "the kill came too late to be mid-batch"

    second = start_worker()
    wait_until(
        lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 30,
        timeout=90,
        what="the new worker to deliver the rest",
        worker_log=second.output,
    )
    received = live_receiver.accepted_ids()
    # Nothing lost. A POST in flight at the kill may arrive twice (its success was never
    # recorded): receivers deduplicate on the event id, and at most the two pool processes'
    # requests can be in flight.
    assert set(received) == event_ids
    assert len(received) - len(set(received)) <= 2
    assert Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).count() == 0
