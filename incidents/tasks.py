"""Celery tasks of the incidents app (found by ``app.autodiscover_tasks()``).

Tasks are thin: they call a service. Beat runs ``send_due_reminders`` every minute;
the service is idempotent (each reminder has a unique key), so an overlapping or
repeated run sends nothing twice.
"""

from celery import shared_task

from incidents.response import services as response


@shared_task(name="incidents.send_due_reminders", ignore_result=True)
def send_due_reminders() -> int:
    """Send the response-clock and review reminders that fell due; returns how many went out."""
    return len(response.send_due_reminders())


@shared_task(name="incidents.evaluate_spikes", ignore_result=True)
def evaluate_spikes(term_ids: list[int] | None = None) -> int:
    """Evaluate the spike rules of these watch terms (all when None); returns how many alerts fired."""
    from incidents.listening import spikes

    return len(spikes.spikes_evaluate(term_ids=term_ids))


@shared_task(name="incidents.poll_feeds", ignore_result=True)
def poll_feeds() -> int:
    """Poll every active RSS/Atom source; returns how many entries were stored."""
    from incidents.listening import feeds as mention_feeds

    return mention_feeds.feeds_poll_all()
