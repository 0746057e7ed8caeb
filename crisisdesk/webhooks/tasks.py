"""Celery tasks for webhooks: send one delivery; sweep up deliveries whose message was lost.

Both are idempotent (the service re-checks the delivery under a row lock), acknowledged
late and given back to the queue if the worker dies mid-task, so a killed worker
loses nothing.
"""

from celery import shared_task

from . import services


@shared_task(name="webhooks.deliver", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> str:
    """Send delivery ``delivery_id`` if it is still due."""
    return services.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="webhooks.sweep_due_deliveries", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_due_deliveries() -> int:
    """Beat: re-enqueue overdue deliveries (broker was down, worker was killed, long retry waits)."""
    return services.sweep_due_deliveries()
