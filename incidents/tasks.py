"""Celery tasks of the incidents app (found by ``app.autodiscover_tasks()``, which imports this module).

Each domain keeps its tasks in its own package; importing them here registers them. Tasks are
thin: they call a service. Beat runs ``send_due_reminders`` every minute; the service is
idempotent (each reminder has a unique key), so an overlapping or repeated run sends nothing
twice. Task names are fixed strings, so moving a task between modules never strands queued work.
"""

from incidents.listening.tasks import evaluate_spikes, poll_sources, prune_source_runs
from incidents.response.tasks import send_due_reminders

__all__ = ["evaluate_spikes", "poll_sources", "prune_source_runs", "send_due_reminders"]
