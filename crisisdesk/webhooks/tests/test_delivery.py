"""Sending: retries with exponential backoff and jitter, the retry limit, dead letters, redelivery,
timeouts, the attempt log, the sweep — against a real local HTTP receiver, with time-machine for the clock.
"""

import logging
import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test import override_settings

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.testing.worker import free_port
from crisisdesk.webhooks import emit, services, tasks
from crisisdesk.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def emit_one(capture, **kwargs) -> Delivery:
    """Emit an event in a committed transaction (the first attempt runs on commit, eagerly)."""
    with capture(execute=True), transaction.atomic():
        emit(event_type="incident.opened", payload={"incident": {"reference": "CD-2026-0007"}}, **kwargs)
    return Delivery.objects.get()


def reload(delivery: Delivery) -> Delivery:
    delivery.refresh_from_db()
    return delivery


@override_settings(WEBHOOK_MAX_ATTEMPTS=4, WEBHOOK_RETRY_BASE_SECONDS=10, WEBHOOK_RETRY_MAX_SECONDS=30)
def test_failures_back_off_exponentially_with_jitter_then_go_dead(
    subscription, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    with time_machine.travel(T0, tick=False) as clock:
        delivery = emit_one(django_capture_on_commit_callbacks)
        # Steps of 10, 20, then 40 capped at 30 seconds; each wait is between half a step and a step.
        for attempt, step in enumerate([10, 20, 30], start=1):
            delivery = reload(delivery)
            assert (delivery.status, delivery.attempts, delivery.failures) == (
                DeliveryStatus.RETRYING,
                attempt,
                attempt,
            )
            now = delivery.last_attempt_at
            assert now + timedelta(seconds=step / 2) <= delivery.next_attempt_at <= now + timedelta(seconds=step)
            # Not due yet: a (duplicate) task leaves it alone and sends nothing.
            assert tasks.deliver_webhook.delay(delivery.pk).get() == "not_due"
            assert len(receiver.requests) == attempt
            clock.move_to(delivery.next_attempt_at)
            tasks.deliver_webhook.delay(delivery.pk)

    delivery = reload(delivery)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.DEAD, 4, None)
    assert delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500: receiver says no"
    log = list(delivery.attempt_log.values_list("number", "status_code", "succeeded"))
    assert log == [(1, 500, False), (2, 500, False), (3, 500, False), (4, 500, False)]
    assert len(receiver.requests) == 4
    # Every retry carried the same event id, so a receiver deduplicates them.
    assert len({request.event_id for request in receiver.requests}) == 1
    # Dead is final: the sweep does not pick it up again.
    with time_machine.travel(T0 + timedelta(days=1)):
        assert services.sweep_due_deliveries() == 0


@pytest.mark.parametrize("failures", range(1, 12))
def test_retry_delays_stay_within_half_a_step_and_a_step(failures, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 3600
    step = min(3600, 30 * 2 ** (failures - 1))
    rng = random.Random(failures)
    delays = [services.retry_delay(failures, rng=rng).total_seconds() for _ in range(200)]
    assert all(step / 2 <= delay <= step for delay in delays)
    # Jitter: retries of many deliveries failing together spread out.
    assert max(delays) - min(delays) > step / 4


def test_a_receiver_that_comes_back_gets_the_event(subscription, receiver, django_capture_on_commit_callbacks):
    receiver.status = 503
    with time_machine.travel(T0, tick=False) as clock:
        delivery = emit_one(django_capture_on_commit_callbacks)
        receiver.status = 200
        due = reload(delivery).next_attempt_at
        clock.move_to(due)
        assert tasks.deliver_webhook.delay(delivery.pk).get() == DeliveryStatus.DELIVERED
        # A duplicate message for a delivered delivery does nothing.
        assert tasks.deliver_webhook.delay(delivery.pk).get() == "done"

    delivery = reload(delivery)
    assert (delivery.status, delivery.attempts, delivery.failures, delivery.last_error) == ("delivered", 2, 0, "")
    assert delivery.delivered_at == due
    assert [r.answered for r in receiver.requests] == [503, 200]


def test_connection_refused_is_logged_as_an_error_without_status(make_subscription, django_capture_on_commit_callbacks):
    make_subscription(f"http://127.0.0.1:{free_port()}/nobody-listens")
    delivery = reload(emit_one(django_capture_on_commit_callbacks))
    assert delivery.status == DeliveryStatus.RETRYING
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error.startswith("ConnectionError")
    assert delivery.last_error == attempt.error


def test_a_slow_receiver_hits_the_read_timeout(subscription, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_READ_TIMEOUT = 0.2
    receiver.delay = 1.0
    delivery = reload(emit_one(django_capture_on_commit_callbacks))
    attempt = DeliveryAttempt.objects.get()
    assert attempt.error.startswith(("ReadTimeout", "ConnectionError")), attempt.error
    assert "timed out" in attempt.error.lower()
    assert 150 <= attempt.duration_ms < 1000
    assert delivery.status == DeliveryStatus.RETRYING


def test_redirects_are_not_followed(subscription, receiver, django_capture_on_commit_callbacks):
    receiver.status = 302
    delivery = reload(emit_one(django_capture_on_commit_callbacks))
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.RETRYING, 302)
    assert len(receiver.requests) == 1


@override_settings(WEBHOOK_MAX_ATTEMPTS=1)
def test_redeliver_gives_a_dead_delivery_a_fresh_run(
    team_lead, subscription, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    delivery = reload(emit_one(django_capture_on_commit_callbacks))
    assert delivery.status == DeliveryStatus.DEAD

    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_redeliver(actor=team_lead, delivery=delivery)

    delivery = reload(delivery)
    assert (delivery.status, delivery.attempts, delivery.failures) == (DeliveryStatus.DELIVERED, 2, 0)
    assert list(delivery.attempt_log.values_list("number", "succeeded")) == [(1, False), (2, True)]
    # Delivered: nothing to redeliver.
    with pytest.raises(InvalidTransition):
        services.delivery_redeliver(actor=team_lead, delivery=delivery)


@override_settings(WEBHOOK_MAX_ATTEMPTS=1)
@pytest.mark.parametrize("persona", ["communicator", "legal", "observer", "outsider"])
def test_only_team_leads_redeliver(persona, request, subscription, receiver, django_capture_on_commit_callbacks):
    receiver.status = 500
    delivery = reload(emit_one(django_capture_on_commit_callbacks))
    with pytest.raises(PermissionDenied):
        services.delivery_redeliver(actor=request.getfixturevalue(persona), delivery=delivery)
    assert reload(delivery).status == DeliveryStatus.DEAD


@override_settings(WEBHOOK_MAX_ATTEMPTS=1)
def test_redeliver_needs_an_active_subscription(team_lead, subscription, receiver, django_capture_on_commit_callbacks):
    receiver.status = 500
    delivery = reload(emit_one(django_capture_on_commit_callbacks))
    services.subscription_set_active(actor=team_lead, subscription=subscription, active=False)
    with pytest.raises(InvalidTransition):
        services.delivery_redeliver(actor=team_lead, delivery=delivery)


def test_a_deactivated_subscription_dead_letters_what_is_still_open(team_lead, subscription, receiver):
    with transaction.atomic():
        emit(event_type="incident.opened", payload={})
    delivery = Delivery.objects.get()
    services.subscription_set_active(actor=team_lead, subscription=subscription, active=False)
    assert services.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.DEAD
    delivery = reload(delivery)
    assert "deactivated" in delivery.last_error
    assert receiver.requests == []


def test_the_sweep_sends_deliveries_whose_message_was_lost(subscription, receiver):
    # Emitted, but the on-commit enqueue never ran (as if the broker lost the message).
    with time_machine.travel(T0, tick=False) as clock:
        with transaction.atomic():
            emit(event_type="incident.opened", payload={})
        assert services.sweep_due_deliveries() == 0  # within the grace period: its message may be on its way
        clock.shift(timedelta(seconds=61))
        assert tasks.sweep_due_deliveries.delay().get() == 1
        assert services.sweep_due_deliveries() == 0  # delivered: nothing left
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    assert len(receiver.accepted()) == 1


def test_the_secret_never_reaches_the_logs(subscription, receiver, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    receiver.status = 500
    with time_machine.travel(T0, tick=False) as clock:
        delivery = emit_one(django_capture_on_commit_callbacks)
        receiver.status = 200
        clock.move_to(reload(delivery).next_attempt_at)
        services.delivery_attempt(delivery_id=delivery.pk)

    assert "Webhook delivery" in caplog.text
    assert subscription.secret not in caplog.text
    assert subscription.secret.removeprefix("whsec_") not in caplog.text
    assert subscription.secret not in str(subscription) + repr(subscription)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_never_send_the_same_delivery_at_once(make_subscription, receiver, monkeypatch):
    make_subscription(receiver.url)
    receiver.delay = 0.5
    # This test commits for real: keep the eager on-commit send out of the way, the threads are the workers.
    with monkeypatch.context() as patch:
        patch.setattr(services, "enqueue_deliveries", lambda *args, **kwargs: None)
        with transaction.atomic():
            emit(event_type="incident.opened", payload={})
    delivery = Delivery.objects.get()
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(services.delivery_attempt(delivery_id=delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results).count(DeliveryStatus.DELIVERED) == 1
    assert set(results) <= {DeliveryStatus.DELIVERED, "locked", "done"}
    assert len(receiver.requests) == 1
    assert reload(delivery).attempts == 1
