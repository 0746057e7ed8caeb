"""Celery tasks of the kernel package itself (``autodiscover_tasks`` imports ``crisisdesk.tasks``)."""

from crisisdesk.observability.tasks import heartbeat_task

__all__ = ["heartbeat_task"]
