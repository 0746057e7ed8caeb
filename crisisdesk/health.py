"""``/healthz``: is this process able to serve? Checks the database, the task queue, the Celery processes.

For load balancers and orchestrators: 200 with ``{"status": "ok", ...}`` when every
check passes, 503 naming the failing part otherwise. No authentication, no session,
no details beyond an exception class or a status word (the endpoint is public). The queue
check opens a broker connection with a short timeout; it is skipped when tasks run
in-process (no broker configured).

``worker`` and ``beat`` read the heartbeats (``crisisdesk.observability.heartbeat``, one
cache round trip): ``ok``, or ``stale`` — not seen for ``CRISISDESK_HEARTBEAT_STALE_MINUTES``
— which fails the check, so a dead scheduler or worker is noticed. With in-process tasks
(the demo) both are ``in-process`` and never fail.

Apps add their own checks from ``AppConfig.ready()`` with ``register_check`` (``incidents``
adds ``listen``: the stream process's heartbeat, checked only when a stream source is enabled).
A check returns a status word or raises ``Stale``; any other exception fails it as an error.
"""

import logging
import time

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from crisisdesk.observability import heartbeat

logger = logging.getLogger(__name__)

OK = "ok"
SKIPPED = "skipped"


def check_database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def broker_url() -> str:
    return getattr(settings, "CELERY_BROKER_URL", "") or ""


def check_queue() -> str:
    url = broker_url()
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) or not url or url.startswith("memory://"):
        return SKIPPED
    from kombu import Connection

    timeout = getattr(settings, "HEALTHZ_BROKER_TIMEOUT", 2)
    transport_options = {"socket_connect_timeout": timeout, "socket_timeout": timeout, "max_retries": 0}
    with Connection(url, connect_timeout=timeout, transport_options=transport_options) as connection:
        # One attempt, no retry loop: a health check must answer within the probe's timeout.
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        # Redis connects lazily; a round trip proves the broker really answers.
        if connection.transport_cls in ("redis", "rediss") or url.startswith(("redis://", "rediss://")):
            connection.default_channel.client.ping()
    return OK


class Stale(Exception):
    """A heartbeat check found its process not seen recently."""


def check_heartbeat(process: str):
    def check() -> str:
        status = heartbeat.statuses()[process]
        if status == heartbeat.STALE:
            raise Stale
        return status

    check.__name__ = f"check_{process}"
    return check


CHECKS = {
    "database": check_database,
    "queue": check_queue,
    "worker": check_heartbeat(heartbeat.WORKER),
    "beat": check_heartbeat(heartbeat.BEAT),
}


def register_check(name: str, check) -> None:
    """Add an app's check to ``/healthz`` under ``name`` (registering the same name again replaces it)."""
    if name in ("database", "queue", heartbeat.WORKER, heartbeat.BEAT):
        raise ValueError(f"{name!r} is a kernel check")
    CHECKS[name] = check


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the queue answer and the heartbeats are fresh, 503 with the failing part otherwise."""
    results, healthy = {}, True
    started = time.monotonic()
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Stale:
            healthy = False
            results[name] = heartbeat.STALE
            logger.warning("Health check %s: no heartbeat for %s", name, heartbeat.stale_after())
        except Exception as error:  # noqa: BLE001 — any failure is a failed check, never a 500
            healthy = False
            results[name] = f"error: {type(error).__name__}"
            logger.warning("Health check %s failed: %s", name, error)
    body = {
        "status": "ok" if healthy else "error",
        "checks": results,
        "duration_ms": round((time.monotonic() - started) * 1000),
    }
    return JsonResponse(body, status=200 if healthy else 503)
