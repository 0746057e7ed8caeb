"""Celery tasks of the playbooks app (found by ``app.autodiscover_tasks()``).

Beat runs ``send_playbook_review_reminders`` hourly; the service sends each reminder
once per (playbook, due date), so overlapping or repeated runs send nothing twice.
"""

from celery import shared_task

from playbooks import services


@shared_task(name="playbooks.send_review_reminders", ignore_result=True)
def send_playbook_review_reminders() -> int:
    """E-mail the owners of playbooks past their review date; returns how many reminders went out."""
    return len(services.playbook_send_review_reminders())
