"""gunicorn settings for CrisisDesk: ``gunicorn`` in the project directory picks this file up.

Everything comes from the environment, so one image serves every size of deployment:

* ``WEB_CONCURRENCY`` — worker processes (default: 2 × cores + 1). Each process opens its
  own PostgreSQL pool of up to ``DATABASE_POOL_MAX_SIZE`` connections: keep
  ``processes × max size`` (over all web hosts, plus the Celery workers) under the
  server's ``max_connections``.
* ``GUNICORN_THREADS`` — threads per worker (default 1; with more, raise the pool's max size to match).
* ``GUNICORN_BIND`` — default ``0.0.0.0:$PORT`` (``PORT`` defaults to 8000).
* ``GUNICORN_TIMEOUT`` — seconds before a silent worker is killed and replaced (default 30).
* ``GUNICORN_FORWARDED_ALLOW_IPS`` — addresses of the reverse proxy whose
  X-Forwarded-* headers are trusted (default 127.0.0.1).
* ``DJANGO_LOG_FORMAT`` — ``json`` (default with DEBUG off) logs one JSON object per line,
  access log included, through ``crisisdesk.logging.JsonFormatter``.

The access log and the error log go to stdout/stderr, for the process supervisor to collect.
The app is not preloaded: each worker opens its own database pool after the fork.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _debug() -> bool:
    return os.environ.get("DJANGO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


wsgi_app = "crisisdesk.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak never becomes an outage; jitter avoids all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
preload_app = False
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 — gunicorn's heartbeat files

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'

if os.environ.get("DJANGO_LOG_FORMAT", "plain" if _debug() else "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "crisisdesk.logging.JsonFormatter"}},
        "handlers": {
            "access": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
            "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        },
        # Replaces gunicorn's defaults wholesale, so the root logger is named here too.
        "root": {"handlers": ["error"], "level": "INFO"},
        "loggers": {
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "gunicorn.error": {"handlers": ["error"], "level": loglevel.upper(), "propagate": False},
        },
    }
