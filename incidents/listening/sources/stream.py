"""Running stream sources (``manage.py listen``): one thread per enabled stream source, reconnecting.

Each stream reads from its stored cursor and records batches through ``source_record_batch``
(items, deletions and cursor in one transaction), so a restart resumes where the last committed
batch ended. A failure is recorded on the source (its health shows it) and the stream reconnects
after an exponential back-off (``Retry-After`` wins when longer), capped at
``SOURCE_STREAM_BACKOFF_MAX_SECONDS`` (default 60: a stream is worth reconnecting soon).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection

from incidents.listening.sources import services
from incidents.listening.sources.connectors.base import ConnectorError, get_connector
from incidents.listening.sources.models import Source

logger = logging.getLogger(__name__)

HEARTBEAT_PROCESS = "listen"


@dataclass
class StreamStats:
    """Counters shared by the stream threads (read by the heartbeat log and the benchmark)."""

    events: int = 0
    matched: int = 0
    malformed: int = 0
    batches: int = 0
    last_time_us: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, *, events: int, matched: int, malformed: int, last_time_us: int) -> None:
        with self._lock:
            self.events += events
            self.matched += matched
            self.malformed += malformed
            self.batches += 1
            self.last_time_us = max(self.last_time_us, last_time_us)


def stream_sources():
    """Enabled sources whose connector streams."""
    return [s for s in Source.objects.filter(enabled=True) if getattr(get_connector(s.kind), "streaming", False)]


def reconnect_delay(failures: int, retry_after: float | None) -> float:
    cap = float(getattr(settings, "SOURCE_STREAM_BACKOFF_MAX_SECONDS", 60))
    delay = min(cap, 2.0 ** max(0, failures - 1))
    if retry_after is not None:
        delay = max(delay, min(float(retry_after), 3600.0))
    return delay


def run_source(source_id: int, *, stop: threading.Event, stats: StreamStats | None = None, max_failures=None) -> None:
    """Stream one source until ``stop``: reconnect after each failure, recording it on the source."""
    failures = 0
    while not stop.is_set():
        source = Source.objects.get(pk=source_id)
        connector = get_connector(source.kind)

        def record(*, items, cursor, deleted_ids=(), _source=source, _platform=connector.platform):
            services.source_record_batch(
                source=_source, items=items, cursor=cursor, deleted_ids=deleted_ids, platform=_platform
            )

        try:
            connector.stream(source, source.cursor or {}, record, stop=stop, stats=stats)
            failures = 0
        except ConnectorError as exc:
            failures += 1
            services.source_record_failure(source=source, error=exc)
            delay = reconnect_delay(failures, getattr(exc, "retry_after", None))
            logger.warning("stream source %s failed (%s); reconnecting in %.0fs", source_id, exc, delay)
            if max_failures is not None and failures >= max_failures:
                return
            stop.wait(delay)
        except Exception:  # a bug must not kill the other streams: log it, back off, retry
            failures += 1
            logger.exception("stream source %s crashed", source_id)
            if max_failures is not None and failures >= max_failures:
                return
            stop.wait(reconnect_delay(failures, None))


def _thread_main(source_id: int, *, stop: threading.Event, stats: StreamStats) -> None:
    try:
        run_source(source_id, stop=stop, stats=stats)
    finally:
        # Each thread has its own database connection: close it, or PostgreSQL keeps it open.
        connection.close()


def run_all(*, stop: threading.Event, stats: StreamStats, heartbeat_seconds: float = 30.0) -> None:
    """Start a thread per stream source and keep a heartbeat until ``stop``; returns when every thread ended."""
    from crisisdesk.observability import heartbeat

    sources = stream_sources()
    if not sources:
        logger.warning("listen: no enabled stream source")
    threads = [
        threading.Thread(
            target=_thread_main, args=(s.pk,), kwargs={"stop": stop, "stats": stats}, name=f"stream-{s.pk}"
        )
        for s in sources
    ]
    for thread in threads:
        thread.start()
    connection.close()
    while not stop.is_set():
        heartbeat.record(HEARTBEAT_PROCESS)
        logger.info(
            "listen: %d stream(s), %d events, %d matched, cursor %s",
            len(threads),
            stats.events,
            stats.matched,
            stats.last_time_us,
        )
        stop.wait(heartbeat_seconds)
    for thread in threads:
        thread.join(timeout=30)
    close_old_connections()
    time.sleep(0)
