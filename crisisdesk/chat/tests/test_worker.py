"""End to end with real parts: Redis, a Celery worker process (with embedded beat), PostgreSQL, a local receiver.

The worker fixtures (``start_worker``, ``broker``, ``wait_until``) are ``crisisdesk.testing.worker``'s.
"""

import pytest

from crisisdesk.chat.models import ChatDelivery
from crisisdesk.testing.worker import free_port, wait_until
from crisisdesk.webhooks.models import DeliveryStatus
from crisisdesk.webhooks.tests.receiver import Receiver
from incidents import services as incident_services

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_worker_sends_chat_messages_once_the_receiver_is_back(start_worker, make_destination, communicator):
    receiver = Receiver(port=free_port())  # not started: connection refused
    make_destination(f"json://127.0.0.1:{receiver.port}/hook", event_types=["incident.opened"])
    worker = start_worker()
    incidents = [incident_services.incident_open(actor=communicator, title=f"Outage {n}") for n in range(3)]

    wait_until(
        lambda: ChatDelivery.objects.filter(status=DeliveryStatus.RETRYING, failures__gte=1).count() == 3,
        timeout=30,
        what="every chat delivery to fail while the receiver is down",
        worker_log=worker.output,
    )
    receiver.start()
    try:
        wait_until(
            lambda: ChatDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 3,
            timeout=60,
            what="every chat delivery once the receiver is back",
            worker_log=worker.output,
        )
        titles = sorted(request.json()["title"] for request in receiver.accepted())
    finally:
        receiver.stop()

    assert titles == sorted(f"Incident {incident.reference} opened" for incident in incidents)
    assert "chat.deliver" in worker.output()
