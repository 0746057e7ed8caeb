"""Running stream sources (``manage.py listen``): one thread per enabled stream source, reconnecting.

Each stream reads from its stored cursor and records batches through ``source_record_batch``
(items, deletions and cursor in one transaction), so a restart resumes where the last committed
batch ended. A failure is recorded on the source (its health shows it) and the stream reconnects
after an exponential back-off (``Retry-After`` wins when longer), capped at
``SOURCE_STREAM_BACKOFF_MAX_SECONDS`` (default 60: a stream is worth reconnecting soon).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection

from incidents.listening.sources import services
from incidents.listening.sources.connectors.base import ConnectorError, get_connector, registered_kinds
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


def stream_kinds() -> list[str]:
    return [kind for kind in registered_kinds() if getattr(get_connector(kind), "streaming", False)]


def stream_sources():
    """Enabled sources whose connector streams."""
    return list(Source.objects.filter(enabled=True, kind__in=stream_kinds()))


NO_STREAM = "no-stream-source"


def check_listen() -> str:
    """``/healthz`` check ``listen``: with an enabled stream source, ``manage.py listen`` must beat.

    One query and one cache read. ``no-stream-source`` when nothing needs the process (it may run
    or not); otherwise ``ok``, or ``Stale`` raised when its heartbeat (every ``--heartbeat-seconds``)
    is older than ``CRISISDESK_HEARTBEAT_STALE_MINUTES`` or was never recorded.
    """
    from django.utils import timezone

    from crisisdesk.health import Stale
    from crisisdesk.observability import heartbeat

    if not Source.objects.filter(enabled=True, kind__in=stream_kinds()).exists():
        return NO_STREAM
    now = timezone.now()
    seen = heartbeat.last_seen(now, processes=(HEARTBEAT_PROCESS,))[HEARTBEAT_PROCESS]
    if heartbeat.status_of(seen, now) == heartbeat.STALE:
        raise Stale
    return heartbeat.OK


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


def _fingerprint(source: Source) -> str:
    """What a running stream was started with: a change restarts it (watch terms refresh on their own)."""
    return json.dumps([source.kind, source.config, source.credentials_secret], sort_keys=True, default=str)


@dataclass
class _Running:
    thread: threading.Thread
    stop: threading.Event
    fingerprint: str


def reconcile(running: dict[int, _Running], *, stats: StreamStats) -> None:
    """Make the running threads match the enabled stream sources: start new ones, stop removed or changed ones.

    A stopped stream records its last batch (and cursor) before its thread ends; a changed one is
    started again from that cursor.
    """
    wanted = {source.pk: source for source in stream_sources()}
    for source_id, run in list(running.items()):
        source = wanted.get(source_id)
        if source is None or _fingerprint(source) != run.fingerprint or not run.thread.is_alive():
            run.stop.set()
            run.thread.join(timeout=30)
            del running[source_id]
            logger.info("listen: stream source %s stopped (%s)", source_id, "removed" if source is None else "changed")
    for source_id, source in wanted.items():
        if source_id in running:
            continue
        stop = threading.Event()
        thread = threading.Thread(
            target=_thread_main, args=(source_id,), kwargs={"stop": stop, "stats": stats}, name=f"stream-{source_id}"
        )
        running[source_id] = _Running(thread=thread, stop=stop, fingerprint=_fingerprint(source))
        thread.start()
        logger.info("listen: stream source %s started", source_id)


def run_all(*, stop: threading.Event, stats: StreamStats, heartbeat_seconds: float = 30.0) -> None:
    """Run a thread per enabled stream source and keep a heartbeat until ``stop``; returns when every thread ended.

    At every heartbeat the set of sources is read again: a source enabled, added, changed or
    disabled in the browser, the admin or the API takes effect without restarting the process.
    """
    from crisisdesk.observability import heartbeat

    running: dict[int, _Running] = {}
    try:
        while not stop.is_set():
            reconcile(running, stats=stats)
            if not running:
                logger.warning("listen: no enabled stream source")
            connection.close()
            heartbeat.record(HEARTBEAT_PROCESS)
            logger.info(
                "listen: %d stream(s), %d events, %d matched, cursor %s",
                len(running),
                stats.events,
                stats.matched,
                stats.last_time_us,
            )
            stop.wait(heartbeat_seconds)
    finally:
        for run in running.values():
            run.stop.set()
        for run in running.values():
            run.thread.join(timeout=30)
        close_old_connections()
