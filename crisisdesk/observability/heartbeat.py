"""Heartbeats of the Celery processes: is a worker consuming, is beat scheduling?

Beat schedules the ``crisisdesk.heartbeat`` task every minute (``CELERY_BEAT_SCHEDULE``):

- when beat publishes it, ``before_task_publish`` (connected in ``crisisdesk/celery.py``) records
  "beat seen at" — beat is alive and reaches the broker;
- when a worker runs it, the task records "worker seen at" — a worker consumes the queue.

Both go to the shared cache (Redis or the database cache table: every process reads the same),
never expiring: an old value is what makes the status ``stale``. A status is ``ok`` when the
last sighting is at most ``CRISISDESK_HEARTBEAT_STALE_MINUTES`` (default 5) old. Beat dead means
no task either: both stale (look at beat first); worker stale alone means the workers are
down or the queue is stuck. When tasks run in-process (eager: the demo, the tests) there are
no such processes: both are ``in-process``.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

TASK_NAME = "crisisdesk.heartbeat"
WORKER = "worker"
BEAT = "beat"
PROCESSES = (WORKER, BEAT)

OK = "ok"
STALE = "stale"
IN_PROCESS = "in-process"


def cache_key(process: str) -> str:
    return f"crisisdesk:heartbeat:{process}"


def record(process: str, *, now: datetime | None = None) -> None:
    """Note that ``process`` (``worker`` or ``beat``) was seen now."""
    now = now or timezone.now()
    cache.set(cache_key(process), now.timestamp(), timeout=None)


def last_seen(now: datetime | None = None, processes=PROCESSES) -> dict[str, datetime | None]:
    """When each process was last seen (None: never, or the cache was emptied), in one cache round trip.

    ``processes``: the Celery ones by default; any other name recorded with ``record`` (e.g. the
    ``listen`` process of the stream sources) can be asked for.
    """
    values = cache.get_many([cache_key(process) for process in processes])
    seen = {}
    for process in processes:
        value = values.get(cache_key(process))
        seen[process] = datetime.fromtimestamp(value, tz=UTC) if value is not None else None
    return seen


def stale_after() -> timedelta:
    return timedelta(minutes=getattr(settings, "CRISISDESK_HEARTBEAT_STALE_MINUTES", 5))


def in_process() -> bool:
    """Tasks run eagerly in the process that enqueues them: no worker, no beat to watch."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def statuses(now: datetime | None = None) -> dict[str, str]:
    """``{"worker": ..., "beat": ...}``: ``ok``, ``stale`` (never seen counts as stale) or ``in-process``."""
    if in_process():
        return dict.fromkeys(PROCESSES, IN_PROCESS)
    now = now or timezone.now()
    return {process: status_of(seen, now) for process, seen in last_seen(now).items()}


def status_of(seen: datetime | None, now: datetime) -> str:
    """``ok`` when ``seen`` is at most ``stale_after()`` before ``now``; ``stale`` otherwise (never seen included)."""
    return OK if seen is not None and now - seen <= stale_after() else STALE


def on_before_task_publish(sender=None, **kwargs) -> None:
    """``before_task_publish`` handler: publishing the heartbeat task (only beat does) proves beat alive.

    Never lets a cache failure stop the publication.
    """
    if sender != TASK_NAME:
        return
    try:
        record(BEAT)
    except Exception:  # noqa: BLE001 — the heartbeat must not break beat
        logger.warning("Could not record the beat heartbeat", exc_info=True)
