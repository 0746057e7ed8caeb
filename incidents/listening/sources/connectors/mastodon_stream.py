"""Mastodon streaming: an instance's hashtag streams over its WebSocket streaming API, run by ``manage.py listen``.

Protocol (https://docs.joinmastodon.org/methods/streaming/): a WebSocket at
``{streaming_url}/api/v1/streaming?stream=hashtag&tag=<tag>`` (``Authorization: Bearer`` when the
source has an ``access_token``); more hashtags are added on the same connection with
``{"type": "subscribe", "stream": "hashtag", "tag": …}``. Each message is
``{"stream": ["hashtag", <tag>], "event": …, "payload": …}``: ``update`` (payload: a status as
JSON text) is a new status, ``status.update`` an edited one (an edit version: its ``edited_at``),
``delete`` (payload: the status id) marks the stored mention deleted; other events are ignored.

Cursor: the polling ``mastodon`` connector's, ``{"timelines": {"tag:<tag>": {"min_id": …}}}``. On
every (re)connect the stream is opened first, then the gap since the cursor is backfilled from the
hashtag timelines with the polling connector's code (``min_id`` pages), while new statuses wait on
the socket: nothing between two connections is lost, and overlaps are absorbed by the idempotent
ingest. Statuses from the stream move a tag's ``min_id`` only once its backfill is complete.

A delete carries the instance's status id, not the status URI (the mention's external id): it is
resolved through the statuses this connection has seen, or a stored local status of the instance
(URI ``<instance>/users/<name>/statuses/<id>``); a deleted remote status not seen since the last
connect is not matched. An instance refusing streaming (401/403/404 on the handshake) is recorded
as ``StreamingRefused`` on the source, suggesting the polling ``mastodon`` kind.

Why this WebSocket client (``websockets``, as for Jetstream) rather than Mastodon.py's streaming,
while the backfill does go through Mastodon.py (``MastodonConnector.poll_timelines``):
Mastodon.py's ``stream_hashtag`` streams over SSE by default and over the WebSocket only with its
``websocket_streaming`` extra (``websocket-client``: a second WebSocket library); either way it calls
a listener from threads of its own with its own reconnect loop, where ``manage.py listen`` owns the
reconnects, the back-off and the batch recording, and this loop must ``recv`` with a timeout to see
``stop`` and flush batches; it finds the streaming server by fetching ``/api/v1/instance`` (and
``/api/v2/instance`` for ``timeline_is_available``), where ``streaming_url`` is configured; and
its handshake failures arrive as generic network/API errors, where a 401/403/404 here is a clear
``StreamingRefused`` and a 429 a ``RateLimited`` with ``Retry-After``. The endpoint is the same
documented one; only the client differs.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from urllib.parse import urlencode, urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from crisisdesk.secretbox import SecretUnavailable
from incidents.listening.sources.connectors.base import (
    AuthError,
    BadPayload,
    ConnectorError,
    RateLimited,
    TransientError,
    parse_retry_after,
    register,
)
from incidents.listening.sources.connectors.bluesky import source_terms
from incidents.listening.sources.connectors.mastodon import MastodonConnector, _id_key
from incidents.listening.sources.models import SourceKind

logger = logging.getLogger(__name__)

_HASHTAG = re.compile(r"^\w+$")
# Statuses remembered per connection to resolve deletes (id → external id).
KNOWN_IDS = 20_000
# Back-off after a refused handshake: the instance will not change its mind in a minute.
REFUSED_RETRY_SECONDS = 600


class StreamingRefused(ConnectorError):
    """The instance does not serve (or lets us use) its streaming API."""

    def __init__(self, message: str, *, retry_after: float | None = REFUSED_RETRY_SECONDS):
        super().__init__(message)
        self.retry_after = retry_after


def streaming_url(config: dict) -> str:
    """The streaming API's base: ``streaming_url``, or the instance URL (``https`` → ``wss``)."""
    base = str(config.get("streaming_url") or config["instance_url"]).rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base.removeprefix("https://")
    if base.startswith("http://"):
        return "ws://" + base.removeprefix("http://")
    return base


def stream_tags(source, config: dict) -> list[str]:
    """The configured hashtags, or the source's watch terms that are one word (``#`` dropped), lower case."""
    tags = [h for h in config["hashtags"] if isinstance(h, str)]
    if not tags and source.pk:
        tags = source_terms(source)
    cleaned = {t.strip().lstrip("#").lower() for t in tags}
    return sorted(t for t in cleaned if _HASHTAG.match(t))


@register
class MastodonStreamConnector(MastodonConnector):
    """A Mastodon instance's hashtag streams (the REST hashtag timelines fill the gaps between connections)."""

    kind = SourceKind.MASTODON_STREAM
    platform = "mastodon"
    streaming = True
    credential_fields = ("access_token",)
    default_config = {
        "instance_url": "https://mastodon.social",
        "streaming_url": "",
        "hashtags": [],
        "limit": 40,
        "backfill_pages": 20,
        "batch_seconds": 1.0,
    }

    def clean_config(self, config: dict) -> dict:
        config = {**self.default_config, **(config or {})}
        if not str(config["instance_url"] or "").startswith(("http://", "https://")):
            raise ValidationError({"config": _("“instance_url” must be an http(s) URL.")})
        if config["streaming_url"] and not str(config["streaming_url"]).startswith(
            ("http://", "https://", "ws://", "wss://")
        ):
            raise ValidationError(
                {"config": _("“%(key)s” must be an http(s) or ws(s) URL.") % {"key": "streaming_url"}}
            )
        if not isinstance(config["hashtags"], list) or not all(isinstance(v, str) for v in config["hashtags"]):
            raise ValidationError({"config": _("“%(key)s” must be a list of strings.") % {"key": "hashtags"}})
        for key in ("limit", "backfill_pages", "batch_seconds"):
            value = config[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValidationError({"config": _("“%(key)s” must be a positive number.") % {"key": key}})
        return config

    def stream(self, source, cursor: dict, record, *, stop: threading.Event | None = None, stats=None) -> None:
        """Connect, backfill the gap since ``cursor`` from the REST timelines, then read the stream until ``stop``."""
        stop = stop or threading.Event()
        config = self.clean_config(source.config)
        tags = stream_tags(source, config)
        if not tags:
            raise ConnectorError("No hashtag to stream: set “hashtags” or give the source one-word watch terms")
        timelines = [f"tag:{t}" for t in tags]
        try:
            token = source.credential("access_token")
        except SecretUnavailable as exc:  # an env: reference not set: the source shows it (the poller does the same)
            raise AuthError(str(exc)) from exc
        state = dict((cursor or {}).get("timelines") or {})
        known: OrderedDict[str, str] = OrderedDict()
        items: list[dict] = []
        deleted: list[str] = []
        seen = malformed = 0
        flushed_at = time.monotonic()

        def remember(item: dict, status_id) -> None:
            known[str(status_id)] = item["external_id"]
            known.move_to_end(str(status_id))
            while len(known) > KNOWN_IDS:
                known.popitem(last=False)

        def flush():
            nonlocal items, deleted, seen, malformed, flushed_at
            if items or deleted:
                record(items=items, cursor={"timelines": dict(state)}, deleted_ids=deleted)
            # Counted even when nothing is recorded (only ignored or malformed messages in the batch).
            if stats is not None and seen:
                stats.add(events=seen, matched=len(items), malformed=malformed, last_time_us=0)
            items, deleted, seen, malformed = [], [], 0, 0
            flushed_at = time.monotonic()

        websocket = self._connect(config, tags[0], token)
        logger.info("mastodon stream source %s connected (%s)", source.pk, ", ".join(tags))
        from websockets.exceptions import ConnectionClosed

        with websocket:
            try:
                for tag in tags[1:]:
                    websocket.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": tag}))
                complete = self._backfill(source, state, timelines, config, record, remember)
                while not stop.is_set():
                    try:
                        message = websocket.recv(timeout=0.5)
                    except TimeoutError:
                        message = None
                    if message is not None:
                        seen += 1
                        try:
                            event = self._event(message, config)
                        except BadPayload:
                            malformed += 1
                            event = None
                        if event is not None:
                            kind, tag, status_id, value = event
                            if kind == "delete":
                                deleted.extend(self._resolve_delete(status_id, known, config))
                            else:
                                items.append(value)
                                remember(value, status_id)
                                key = f"tag:{tag}"
                                current = (state.get(key) or {}).get("min_id")
                                if (
                                    kind == "update"
                                    and key in complete
                                    and (not current or _id_key(status_id) > _id_key(current))
                                ):
                                    state[key] = {"min_id": status_id}
                    if time.monotonic() - flushed_at >= float(config["batch_seconds"]):
                        flush()
            except ConnectionClosed as exc:
                flush()
                raise TransientError(f"Mastodon closed the stream: {exc.rcvd.code if exc.rcvd else 'no code'}") from exc
            except OSError as exc:
                flush()
                raise TransientError(f"Mastodon stream lost: {type(exc).__name__}") from exc
            flush()

    # --- parts -----------------------------------------------------------------------------

    def _connect(self, config: dict, tag: str, token: str):
        from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI
        from websockets.sync.client import connect

        url = f"{streaming_url(config)}/api/v1/streaming?{urlencode({'stream': 'hashtag', 'tag': tag})}"
        headers = {"Authorization": f"Bearer {token}"} if token else None
        try:
            return connect(url, open_timeout=10, additional_headers=headers, max_size=2**22)
        except InvalidStatus as exc:
            status = exc.response.status_code
            retry_after = parse_retry_after(exc.response.headers.get("Retry-After"))
            if status == 429:
                raise RateLimited("Mastodon streaming answered 429", retry_after=retry_after) from exc
            if status in (401, 403, 404):
                why = "needs an access token (or refused it)" if status in (401, 403) else "does not serve it"
                raise StreamingRefused(
                    f"Mastodon streaming refused (HTTP {status}): this instance {why}; "
                    "give the source an access_token or use the polling “mastodon” kind"
                ) from exc
            raise TransientError(f"Mastodon streaming answered HTTP {status}", retry_after=retry_after) from exc
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise TransientError(f"Cannot connect to Mastodon streaming: {type(exc).__name__}") from exc

    def _backfill(self, source, state: dict, timelines, config, record, remember) -> set[str]:
        """Fetch each timeline after its ``min_id`` (recording each page); returns the keys backfilled to the end."""
        complete = set()
        for key in timelines:
            for _page in range(int(config["backfill_pages"])):
                cursor = {"timelines": {key: state[key]}} if key in state else {}
                result = self.poll_timelines(source, cursor, [key], config)
                for item in result.items:
                    remember(item, item.pop("_status_id"))
                if key in result.new_cursor["timelines"]:
                    state[key] = result.new_cursor["timelines"][key]
                record(items=result.items, cursor={"timelines": dict(state)}, deleted_ids=[])
                if not result.more:
                    complete.add(key)
                    break
        # A timeline still behind after ``backfill_pages`` keeps its REST cursor: the next connect resumes it.
        return complete

    def to_item(self, status, config) -> dict | None:
        item = super().to_item(status, config)
        if item is not None:
            item["_status_id"] = str(status["id"])
        return item

    def _event(self, message, config):
        """One stream message as ``(kind, tag, status id, item)`` or None (an event we do not use)."""
        try:
            envelope = json.loads(message)
        except ValueError as exc:
            raise BadPayload("Mastodon stream message is not JSON") from exc
        if not isinstance(envelope, dict):
            raise BadPayload("Mastodon stream message is not an object")
        event = envelope.get("event")
        stream_name = envelope.get("stream")
        tag = str(stream_name[1]).lower() if isinstance(stream_name, list) and len(stream_name) > 1 else ""
        payload = envelope.get("payload")
        if event == "delete":
            if not isinstance(payload, str | int) or not str(payload):
                raise BadPayload("Mastodon delete without a status id")
            return ("delete", tag, str(payload), None)
        if event not in ("update", "status.update"):
            return None
        try:
            status = json.loads(payload) if isinstance(payload, str) else payload
        except ValueError as exc:
            raise BadPayload("Mastodon status payload is not JSON") from exc
        item = self.to_item(status, config)
        if item is None:
            raise BadPayload("Mastodon status payload without id/account")
        status_id = item.pop("_status_id")
        return (event, tag, status_id, item)

    def _resolve_delete(self, status_id: str, known: dict, config) -> list[str]:
        if status_id in known:
            return [known[status_id]]
        from incidents.listening.models import Mention

        parts = urlsplit(config["instance_url"])
        local = f"{parts.scheme}://{parts.netloc}/users/"
        return list(
            Mention.objects.filter(
                platform=self.platform,
                external_id__startswith=local,
                external_id__endswith=f"/statuses/{status_id}",
                deleted_at__isnull=True,
            ).values_list("external_id", flat=True)[:5]
        ) + [f"{parts.netloc}/{status_id}"]
