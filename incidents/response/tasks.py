"""Celery tasks of the response clocks (registered through ``incidents/tasks.py``, which Celery discovers)."""

from celery import shared_task

from incidents.response import services as response


@shared_task(name="incidents.send_due_reminders", ignore_result=True)
def send_due_reminders() -> int:
    """Send the response-clock and review reminders that fell due; returns how many went out."""
    return len(response.send_due_reminders())
