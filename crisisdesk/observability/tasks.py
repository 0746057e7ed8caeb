"""The heartbeat task (found by Celery through ``crisisdesk/tasks.py``)."""

from celery import shared_task

from crisisdesk.observability import heartbeat


@shared_task(name=heartbeat.TASK_NAME, ignore_result=True)
def heartbeat_task() -> None:
    """Run by a worker every minute (beat schedules it): records "worker seen at"."""
    heartbeat.record(heartbeat.WORKER)
