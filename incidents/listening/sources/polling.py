"""Polling: run each due source's connector, page after page within its limits, and record the outcome.

The worker runs ``sources_poll_due`` under beat (``incidents.poll_sources``); ``make demo`` (no
broker) runs it in-process on a timer (``start_demo_timer``) and the source page's "Fetch now"
button runs ``source_poll`` for one source. A failing source records its error and back-off on
its own row and never stops the others.
"""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from crisisdesk.secretbox import SecretUnavailable
from incidents.listening.sources import services
from incidents.listening.sources.connectors.base import AuthError, ConnectorError, get_connector
from incidents.listening.sources.models import Source

logger = logging.getLogger(__name__)

# Pages one poll may follow before leaving the rest for the next one (the cursor keeps its place).
MAX_PAGES = 10


def is_due(source: Source, now) -> bool:
    if not source.enabled or (source.backoff_until and source.backoff_until > now):
        return False
    if source.last_polled_at is None:
        return True
    return (now - source.last_polled_at).total_seconds() >= source.poll_interval_seconds


def source_poll(*, source: Source, force: bool = False) -> services.BatchResult | None:
    """Poll one source now (``force``: even in back-off or before its interval); returns the last batch or None."""
    now = timezone.now()
    if not force and not is_due(source, now):
        return None
    connector = get_connector(source.kind)
    if connector is None or connector.streaming or connector.pushed:
        return None
    last = None
    try:
        for _page in range(getattr(settings, "SOURCE_MAX_PAGES", MAX_PAGES)):
            cursor = dict(source.cursor or {})
            result = connector.poll(source, cursor)
            last = services.source_record_batch(
                source=source,
                items=result.items,
                cursor=result.new_cursor,
                deleted_ids=result.deleted_ids,
                expected_cursor=cursor,
            )
            if not result.more:
                break
    except SecretUnavailable as exc:
        services.source_record_failure(source=source, error=AuthError(str(exc)))
    except ConnectorError as exc:
        logger.warning("source %s (%s) failed: %s", source.pk, source.kind, exc)
        services.source_record_failure(source=source, error=exc)
    except services.CursorConflict:
        # Another poller recorded this page first: nothing lost, its cursor stands.
        logger.info("source %s: concurrent poll, page dropped", source.pk)
    except Exception as exc:  # noqa: BLE001 - a connector bug fails its own source visibly, not the others
        logger.exception("source %s (%s) crashed", source.pk, source.kind)
        services.source_record_failure(source=source, error=exc)
    return last


def sources_poll_due() -> int:
    """Poll every due polling source; returns how many were polled. Then warn about long failures."""
    now = timezone.now()
    polled = 0
    for source in Source.objects.due(now).exclude(kind__in=streaming_kinds()):
        if is_due(source, now):
            source_poll(source=source)
            polled += 1
    services.sources_warn_failing()
    return polled


def streaming_kinds() -> list[str]:
    from incidents.listening.sources.connectors.base import _registry, registered_kinds

    registered_kinds()
    return [kind for kind, connector in _registry.items() if connector.streaming or connector.pushed]


_timer_started = threading.Event()


def maybe_start_demo_timer() -> bool:
    """Start the timer in ``runserver``'s serving process when ``SOURCE_DEMO_TIMER`` is on and there is no broker."""
    import os
    import sys

    if not getattr(settings, "SOURCE_DEMO_TIMER", False) or not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return False
    if sys.argv[1:2] != ["runserver"]:
        return False
    # The autoreloader's parent process only watches files: the child (RUN_MAIN) serves.
    if os.environ.get("RUN_MAIN") != "true" and "--noreload" not in sys.argv:
        return False
    return start_demo_timer()


def start_demo_timer(interval: float | None = None) -> bool:
    """Without a broker (``make demo``), poll due sources in a daemon thread of this process; once per process."""
    if _timer_started.is_set():
        return False
    _timer_started.set()
    interval = interval or float(getattr(settings, "SOURCE_DEMO_TIMER_SECONDS", 60))

    def loop():
        stop = threading.Event()
        while not stop.wait(interval):
            try:
                close_old_connections()
                sources_poll_due()
                services.sources_prune_runs()
            except Exception:  # noqa: BLE001 - the timer must survive a bad round
                logger.exception("in-process source polling failed")
            finally:
                close_old_connections()

    threading.Thread(target=loop, name="crisisdesk-source-timer", daemon=True).start()
    return True
