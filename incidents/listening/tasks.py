"""Celery tasks of social listening (registered through ``incidents/tasks.py``, which Celery discovers)."""

from celery import shared_task


@shared_task(name="incidents.evaluate_spikes", ignore_result=True)
def evaluate_spikes(term_ids: list[int] | None = None) -> int:
    """Evaluate the spike rules of these watch terms (all when None); returns how many alerts fired."""
    from incidents.listening import spikes

    return len(spikes.spikes_evaluate(term_ids=term_ids))


@shared_task(name="incidents.poll_sources", ignore_result=True)
def poll_sources() -> int:
    """Poll every due listening source (Hacker News, Mastodon, news feeds…); returns how many were polled."""
    from incidents.listening.sources import polling

    return polling.sources_poll_due()


@shared_task(name="incidents.prune_source_runs", ignore_result=True)
def prune_source_runs() -> int:
    """Delete listening-source history past its retention (``SOURCE_RUN_RETENTION_DAYS``); returns how many rows."""
    from incidents.listening.sources import services

    return services.sources_prune_runs()
