"""Structured logs: one JSON object per line, for log shippers (Loki, ELK, CloudWatch…).

``settings.LOGGING`` uses ``JsonFormatter`` when ``DJANGO_LOG_FORMAT=json`` (the default
with DEBUG off); gunicorn's access and error logs use it too (``gunicorn.conf.py``).
Fields: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, the exception
if any, and every ``extra={...}`` the caller passed. A gunicorn access line becomes
named fields (method, path, status, duration…) instead of one formatted string.
"""

import json
import logging
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}

# gunicorn's access-log atoms (``%(h)s`` …) and the names we give them.
_GUNICORN_ACCESS = {
    "h": "remote_addr",
    "m": "method",
    "U": "path",
    "q": "query",
    "H": "protocol",
    "s": "status",
    "B": "bytes",
    "M": "duration_ms",
    "f": "referer",
    "a": "user_agent",
}


class JsonFormatter(logging.Formatter):
    """Formats a record as a single-line JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            entry["message"] = "request"
            for atom, name in _GUNICORN_ACCESS.items():
                value = record.args.get(atom)
                if value not in (None, "-", ""):
                    entry[name] = int(value) if atom in ("s", "B", "M") and str(value).isdigit() else value
        else:
            entry["message"] = record.getMessage()
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: a request, a model instance or a lazy string in ``extra`` must not crash logging.
        return json.dumps(entry, default=str, ensure_ascii=False)
