"""Bluesky through Jetstream: the public JSON stream of the network's commits, filtered locally by watch terms.

Protocol (https://github.com/bluesky-social/jetstream): a WebSocket at
``<base_url>/subscribe?wantedCollections=app.bsky.feed.post&cursor=<time_us>`` sends one JSON object
per message; commit events look like
``{"did", "time_us", "kind": "commit", "commit": {"operation": "create"|"update"|"delete",
"collection", "rkey", "cid", "record"}}`` (``identity``/``account`` events are ignored). ``cursor``
is a microsecond Unix time: the server replays from there, so we rewind it a few seconds on every
(re)connect and rely on the idempotent ingest for the overlap.

Mapping: platform ``bluesky``, external id ``at://<did>/app.bsky.feed.post/<rkey>``, URL
``https://bsky.app/profile/<did>/post/<rkey>``; ``update`` is an edit version (``edited_at`` is the
event time), ``delete`` marks the stored mention deleted (deletes carry no text, so every delete
is passed on; only ids we stored are touched).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents.listening.sources.connectors.base import (
    BadPayload,
    Connector,
    RateLimited,
    TransientError,
    parse_retry_after,
    register,
)
from incidents.listening.sources.models import SourceKind

logger = logging.getLogger(__name__)

POST_COLLECTION = "app.bsky.feed.post"
DEFAULT_BASE_URL = "wss://jetstream2.us-east.bsky.network"


class TermMatcher:
    """Watch terms compiled once into one case-insensitive alternation: one regex scan per post."""

    def __init__(self, terms):
        cleaned = sorted({t.strip().lower() for t in terms if t and t.strip()}, key=len, reverse=True)
        self.terms = cleaned
        self._regex = re.compile("|".join(re.escape(t) for t in cleaned), re.IGNORECASE) if cleaned else None

    def matches(self, text: str) -> bool:
        return bool(self._regex and text and self._regex.search(text))


def external_id(did: str, rkey: str) -> str:
    return f"at://{did}/{POST_COLLECTION}/{rkey}"


def post_url(did: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def _time_iso(time_us: int) -> str:
    return datetime.fromtimestamp(time_us / 1_000_000, tz=UTC).isoformat()


def map_event(event, matcher: TermMatcher):
    """One Jetstream event as ``("item", mention dict)``, ``("delete", external id)`` or None (ignored).

    Raises ``BadPayload`` for an event that does not follow the documented shape.
    """
    if not isinstance(event, dict):
        raise BadPayload("Jetstream event is not an object")
    if event.get("kind") != "commit":
        return None
    commit = event.get("commit")
    did = event.get("did")
    if not isinstance(commit, dict) or not isinstance(did, str) or not did:
        raise BadPayload("Jetstream commit event without did/commit")
    if commit.get("collection") != POST_COLLECTION:
        return None
    rkey = commit.get("rkey")
    operation = commit.get("operation")
    if not isinstance(rkey, str) or not rkey:
        raise BadPayload("Jetstream commit without rkey")
    if operation == "delete":
        return ("delete", external_id(did, rkey))
    if operation not in ("create", "update"):
        raise BadPayload(f"Unknown Jetstream operation {str(operation)[:20]!r}")
    record = commit.get("record")
    if not isinstance(record, dict):
        raise BadPayload("Jetstream create/update without record")
    text = record.get("text")
    if not isinstance(text, str) or not matcher.matches(text):
        return None
    time_us = event.get("time_us")
    if not isinstance(time_us, int):
        raise BadPayload("Jetstream event without time_us")
    created = record.get("createdAt")
    item = {
        "platform": "bluesky",
        "external_id": external_id(did, rkey),
        "url": post_url(did, rkey),
        "author": did,
        "text": text,
        "posted_at": created if isinstance(created, str) and created else _time_iso(time_us),
    }
    langs = record.get("langs")
    if isinstance(langs, list) and langs and isinstance(langs[0], str):
        item["language"] = langs[0][:2].lower()
    if operation == "update":
        item["edited_at"] = _time_iso(time_us)
    return ("item", item)


def subscribe_url(base_url: str, cursor_us: int | None) -> str:
    params = {"wantedCollections": POST_COLLECTION}
    if cursor_us:
        params["cursor"] = str(cursor_us)
    return f"{base_url.rstrip('/')}/subscribe?{urlencode(params)}"


def source_terms(source) -> list[str]:
    """The source's own watch terms, or every active watch term when it names none."""
    from incidents.listening.models import WatchTerm

    own = list(source.watch_terms.filter(active=True).values_list("term", flat=True))
    return own or list(WatchTerm.objects.filter(active=True).values_list("term", flat=True))


@register
class JetstreamConnector(Connector):
    """Bluesky's Jetstream WebSocket, streamed by ``manage.py listen``."""

    kind = SourceKind.BLUESKY_JETSTREAM
    platform = "bluesky"
    streaming = True
    default_config = {
        "base_url": DEFAULT_BASE_URL,
        # Rewind on (re)connect, so events in flight when we stopped are replayed (deduplicated).
        "rewind_seconds": 5,
        # A batch (items + cursor, one transaction) is written every so many seconds or events.
        "batch_seconds": 1.0,
        "batch_events": 5000,
        "terms_refresh_seconds": 60,
    }

    def clean_config(self, config: dict) -> dict:
        cleaned = {**self.default_config, **(config or {})}
        base = str(cleaned.get("base_url") or "")
        if not base.startswith(("ws://", "wss://")):
            raise ValidationError({"base_url": _("Use a ws:// or wss:// URL.")})
        for key in ("rewind_seconds", "batch_seconds", "batch_events", "terms_refresh_seconds"):
            try:
                value = float(cleaned[key])
            except (TypeError, ValueError):
                raise ValidationError({key: _("Enter a number.")}) from None
            if value < 0:
                raise ValidationError({key: _("Enter a positive number.")})
        return cleaned

    def stream(self, source, cursor: dict, record, *, stop: threading.Event | None = None, stats=None) -> None:
        """Read the stream until ``stop`` is set, recording a batch (with its ``time_us`` cursor) every second."""
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
        from websockets.sync.client import connect

        stop = stop or threading.Event()
        config = self.clean_config(source.config)
        stored = int((cursor or {}).get("time_us") or 0)
        start = stored - int(float(config["rewind_seconds"]) * 1_000_000) if stored else None
        url = subscribe_url(config["base_url"], start)
        matcher = TermMatcher(source_terms(source))
        terms_at = time.monotonic()
        batch_seconds = float(config["batch_seconds"])
        batch_events = int(config["batch_events"])
        items: list[dict] = []
        deleted: list[str] = []
        last_time_us = stored
        seen = 0
        malformed = 0
        flushed_at = time.monotonic()

        def flush():
            nonlocal items, deleted, seen, malformed, flushed_at
            if last_time_us and (items or deleted or seen):
                record(items=items, cursor={"time_us": last_time_us}, deleted_ids=deleted)
                if stats is not None:
                    stats.add(events=seen, matched=len(items), malformed=malformed, last_time_us=last_time_us)
            items, deleted, seen, malformed = [], [], 0, 0
            flushed_at = time.monotonic()

        try:
            websocket = connect(url, open_timeout=10, max_size=2**22, compression="deflate")
        except InvalidStatus as exc:
            status = exc.response.status_code
            retry_after = parse_retry_after(exc.response.headers.get("Retry-After"))
            if status == 429:
                raise RateLimited("Jetstream answered 429", retry_after=retry_after) from exc
            raise TransientError(f"Jetstream answered HTTP {status}", retry_after=retry_after) from exc
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise TransientError(f"Cannot connect to Jetstream: {type(exc).__name__}") from exc
        logger.info("jetstream source %s connected (cursor %s)", source.pk, start)
        with websocket:
            try:
                while not stop.is_set():
                    try:
                        message = websocket.recv(timeout=0.5)
                    except TimeoutError:
                        message = None
                    if message is not None:
                        seen += 1
                        try:
                            event = json.loads(message)
                            mapped = map_event(event, matcher)
                        except (ValueError, BadPayload):
                            malformed += 1
                            mapped = None
                            event = None
                        if isinstance(event, dict) and isinstance(event.get("time_us"), int):
                            # Jetstream sends in time order; never move the cursor backwards.
                            last_time_us = max(last_time_us, event["time_us"])
                        if mapped is not None:
                            (items if mapped[0] == "item" else deleted).append(mapped[1])
                    now = time.monotonic()
                    if now - flushed_at >= batch_seconds or seen >= batch_events:
                        flush()
                        if now - terms_at >= float(config["terms_refresh_seconds"]):
                            matcher = TermMatcher(source_terms(source))
                            terms_at = now
            except ConnectionClosed as exc:
                flush()
                raise TransientError(
                    f"Jetstream closed the connection: {exc.rcvd.code if exc.rcvd else 'no code'}"
                ) from exc
            except OSError as exc:
                flush()
                raise TransientError(f"Jetstream connection lost: {type(exc).__name__}") from exc
            flush()
