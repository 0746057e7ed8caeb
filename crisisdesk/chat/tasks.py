"""Celery tasks for chat: send one delivery; sweep up deliveries whose message was lost. Both idempotent."""

from celery import shared_task

from . import services


@shared_task(name="chat.deliver", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_chat(delivery_id: int) -> str:
    """Send chat delivery ``delivery_id`` if it is still due."""
    return services.chat_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="chat.sweep_due_deliveries", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_due_chat_deliveries() -> int:
    """Beat: re-enqueue overdue chat deliveries (broker was down, worker was killed, long retry waits)."""
    return services.sweep_due_chat_deliveries()
