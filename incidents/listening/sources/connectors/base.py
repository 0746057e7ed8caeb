"""The connector interface: how a source kind is polled (or streamed) and what it hands back.

Writing a connector
-------------------
Subclass ``Connector``, set ``kind`` (a ``SourceKind`` value) and ``platform`` (the mention
platform slug its items carry), and register it::

    @register
    class HackerNewsConnector(Connector):
        kind = SourceKind.HACKERNEWS
        platform = "hackernews"

        def clean_config(self, config: dict) -> dict: ...        # raise ValidationError({field: msg})
        def poll(self, source, cursor: dict) -> PollResult: ...

``poll(source, cursor)`` fetches what came after ``cursor`` (a JSON object, ``{}`` the first
time) and returns a ``PollResult``: ``items`` (mention dicts in the shape ``parsing.parse_mention``
accepts: platform, external_id, text, posted_at, edited_at, url, author, audience, language),
``new_cursor`` (the position *after* these items), ``deleted_ids`` (external ids the platform
says were deleted), ``more`` (another page is waiting: the poller calls again at once, within
the source's rate limit). It must not write anything: the framework records the batch and the
new cursor together in one transaction (``services.source_record_batch``), so a crash between
two polls replays at most the last page (deduplicated by the idempotent ingest on
``(platform, external_id)``) and never skips one.

Errors are typed, so the framework knows what to do:

- ``RateLimited(retry_after)`` — 429 (or a platform's own quota answer): back off at least
  ``retry_after`` seconds (from ``Retry-After``, seconds or HTTP date);
- ``TransientError`` — 5xx, timeouts, connection errors: exponential back-off;
- ``AuthError`` — 401/403, expired or missing credentials: back-off, the source shows it;
- ``BadPayload`` — a response that is not what the documented protocol says (the cursor does
  not move).

``Http`` (``source_http(source)``) is the HTTP helper connectors use: a ``requests`` session with
timeouts, the source's rate limit (``max_requests_per_minute``, enforced across its requests in
one process), and the mapping of statuses onto those errors. Base URLs always come from the
source's ``config`` (with the platform's public URL as default) so tests and checkers can point a
source at a local fake.

Streams (``streaming = True``) are run by ``manage.py listen`` instead: ``stream(source, cursor,
record)`` loops forever, calling ``record(items=…, cursor=…, deleted_ids=…)`` (which is
``source_record_batch`` bound to the source) for each batch, and raising the same errors.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import requests
from django.conf import settings

USER_AGENT = "CrisisDesk listening (+https://github.com/crisisdesk)"


# --- errors ----------------------------------------------------------------------------------


class ConnectorError(Exception):
    """A poll failed; the message is shown on the source (never a credential)."""


class RateLimited(ConnectorError):
    """The platform asked us to slow down (429 or a quota answer)."""

    def __init__(self, message: str = "Rate limited", *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(ConnectorError):
    """5xx, timeout, connection refused: try again later."""

    def __init__(self, message: str = "Temporary failure", *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class AuthError(ConnectorError):
    """Credentials missing, refused or expired."""


class BadPayload(ConnectorError):
    """The response does not follow the platform's documented protocol."""


# --- results ---------------------------------------------------------------------------------


@dataclass
class PollResult:
    """What one poll found: items after the cursor, the cursor after them, deletions, more pages waiting."""

    items: list[dict] = field(default_factory=list)
    new_cursor: dict = field(default_factory=dict)
    deleted_ids: list[str] = field(default_factory=list)
    more: bool = False
    retry_after: float | None = None


# --- the interface and its registry ---------------------------------------------------------


class Connector:
    """One source kind: validates its configuration and polls (or streams) its platform."""

    kind: ClassVar[str] = ""
    platform: ClassVar[str] = ""
    streaming: ClassVar[bool] = False
    # Items are pushed to us (inbound webhook): nothing to poll.
    pushed: ClassVar[bool] = False
    # Credential names the connector reads (the forms offer one write-only field each).
    credential_fields: ClassVar[tuple[str, ...]] = ()
    # Configuration keys and their defaults (documented in README "Sources").
    default_config: ClassVar[dict[str, Any]] = {}

    def clean_config(self, config: dict) -> dict:
        """The configuration, validated and completed with defaults; raises ``ValidationError``."""
        return {**self.default_config, **(config or {})}

    def poll(self, source, cursor: dict) -> PollResult:
        raise NotImplementedError

    def stream(self, source, cursor: dict, record) -> None:
        raise NotImplementedError


_registry: dict[str, Connector] = {}


def register(cls: type[Connector]) -> type[Connector]:
    """Register a connector class for its kind (one per kind; a later one replaces it)."""
    if not cls.kind:
        raise ValueError(f"{cls.__name__} has no kind")
    _registry[cls.kind] = cls()
    return cls


def get_connector(kind: str) -> Connector | None:
    from incidents.listening.sources import connectors  # noqa: F401 - imports every built-in connector

    return _registry.get(kind)


def registered_kinds() -> list[str]:
    from incidents.listening.sources import connectors  # noqa: F401

    return sorted(_registry)


# --- HTTP helper -----------------------------------------------------------------------------


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent or garbage."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def status_error(status: int, where: str, *, retry_after: float | None = None, detail: str = "") -> ConnectorError:
    """An unexpected HTTP status as its typed error: 429, 401/403, 5xx/408, anything else a bad payload."""
    said = f"HTTP {status} from {where}{detail}"
    if status == 429:
        return RateLimited(said, retry_after=retry_after)
    if status in (401, 403):
        return AuthError(f"{said}: credentials refused or expired")
    if status >= 500 or status == 408:
        return TransientError(said, retry_after=retry_after)
    return BadPayload(said)


class _RateLimiter:
    """A per-source budget of requests per calendar minute, shared by every process through the cache.

    The Celery workers that poll a source in turn and the ``listen`` process all count against
    one budget: the counter lives in the shared cache (Redis, or the database cache table
    without ``REDIS_URL``; ``crisisdesk/settings.py``), keyed by source and minute. Redis counts
    atomically; the database cache's increment is a read then a write, so concurrent requests of
    one source in several processes may overshoot it slightly. A full minute waits for the next
    one (``RateLimited`` when that is longer than ``max_wait``).
    """

    WINDOW = 60.0

    def wait(self, key: int, per_minute: int, *, sleep=time.sleep, clock=time.time, max_wait: float = 60.0, store=None):
        from django.core.cache import cache as default_cache

        store = store or default_cache
        while True:
            now = clock()
            window = int(now // self.WINDOW)
            counter = f"crisisdesk:source-rate:{key}:{window}"
            store.add(counter, 0, timeout=int(self.WINDOW * 2))
            try:
                used = store.incr(counter)
            except ValueError:  # expired or evicted between add and incr: this request starts it
                store.set(counter, 1, timeout=int(self.WINDOW * 2))
                used = 1
            if used <= per_minute:
                return
            delay = (window + 1) * self.WINDOW - now
            if delay > max_wait:
                raise RateLimited("Local rate limit reached", retry_after=delay)
            sleep(delay)


rate_limiter = _RateLimiter()


class Http:
    """HTTP for connectors: timeouts, the source's rate limit, statuses mapped onto the typed errors."""

    def __init__(self, source, *, session: requests.Session | None = None, timeout: float | None = None):
        self.source = source
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.timeout = timeout or getattr(settings, "SOURCE_HTTP_TIMEOUT_SECONDS", 15)

    def request(self, method: str, url: str, *, expected=(200,), **kwargs) -> requests.Response:
        per_minute = getattr(self.source, "max_requests_per_minute", 60) or 60
        rate_limiter.wait(self.source.pk or 0, per_minute)
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.Timeout as exc:
            raise TransientError(f"Timeout: {_where(url)}") from exc
        except requests.RequestException as exc:
            raise TransientError(f"Cannot reach {_where(url)}: {type(exc).__name__}") from exc
        status = response.status_code
        if status in expected:
            return response
        raise status_error(status, _where(url), retry_after=parse_retry_after(response.headers.get("Retry-After")))

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def get_json(self, url: str, **kwargs) -> Any:
        response = self.get(url, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise BadPayload(f"Not JSON from {_where(url)}") from exc


def source_http(source, **kwargs) -> Http:
    return Http(source, **kwargs)


def _where(url: str) -> str:
    # Scheme, host and path only: a query string may carry an API key (YouTube's key=…).
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def iso(dt: datetime) -> str:
    """An aware datetime as the ISO 8601 string ``parse_mention`` takes."""
    return dt.astimezone(UTC).isoformat()
