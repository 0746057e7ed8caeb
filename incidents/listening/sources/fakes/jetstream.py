"""A local fake Jetstream: a real WebSocket server on 127.0.0.1 replaying commit events from a cursor.

Used by the tests and by ``manage.py bench --listen``. It speaks Jetstream's protocol:
``GET /subscribe?wantedCollections=…&cursor=<time_us>`` upgraded to a WebSocket, then one JSON
event per text message, events with ``time_us >= cursor`` only. ``reject_status`` answers the
handshake with an HTTP error instead (e.g. 429 with ``Retry-After``); ``raw`` messages are sent
as they are (malformed payloads).
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

from incidents.listening.sources.fakes.websocket import LocalWebSocketServer


def post_event(did: str, rkey: str, time_us: int, *, text: str = "", operation: str = "create", lang="en") -> dict:
    """A Jetstream commit event for ``app.bsky.feed.post``, as the documented shape."""
    commit = {"rev": f"r{time_us}", "operation": operation, "collection": "app.bsky.feed.post", "rkey": rkey}
    if operation != "delete":
        commit["cid"] = f"bafy{time_us}"
        commit["record"] = {
            "$type": "app.bsky.feed.post",
            "createdAt": "2026-11-20T10:00:00.000Z",
            "langs": [lang],
            "text": text,
        }
    return {"did": did, "time_us": time_us, "kind": "commit", "commit": commit}


class FakeJetstream(LocalWebSocketServer):
    """Replays ``events`` (dicts or raw strings) to each subscriber, from its cursor; then closes or holds."""

    def __init__(self, events=(), *, close_after=True, rate: float | None = None, generator=None, drop_after=None):
        self.events = list(events)
        # The first connection is dropped (closed abruptly, code 1011) after so many events: a server failure.
        self.drop_after = drop_after
        self.connections = 0
        self.close_after = close_after
        self.rate = rate  # events per second (None: as fast as possible)
        self.generator = generator  # callable(cursor) -> iterator of events (the benchmark's endless stream)
        self.reject_status: int | None = None
        self.reject_headers: dict = {}
        self.requests: list[dict] = []
        self.sent = 0
        self.first_sent_at = self.last_sent_at = 0.0

    def _process_request(self, connection, request):
        query = parse_qs(urlsplit(request.path).query)
        self.requests.append({"path": urlsplit(request.path).path, **{k: v[0] for k, v in query.items()}})
        if urlsplit(request.path).path != "/subscribe":
            return connection.respond(404, "Not found\n")
        if self.reject_status:
            headers = Headers({"Content-Type": "text/plain", **self.reject_headers})
            body = b"slow down\n"
            headers["Content-Length"] = str(len(body))
            return Response(self.reject_status, "Error", headers, body)
        return None

    def _handler(self, websocket):
        query = parse_qs(urlsplit(websocket.request.path).query)
        cursor = int(query.get("cursor", ["0"])[0] or 0)
        source = self.generator(cursor) if self.generator else iter(self.events)
        started = time.monotonic()
        count = 0
        self.connections += 1
        drop = self.drop_after if self.connections == 1 else None
        for event in source:
            if drop is not None and count >= drop:
                websocket.close(1011, "internal error")
                return
            if isinstance(event, dict) and event.get("time_us", 0) < cursor:
                continue
            try:
                websocket.send(event if isinstance(event, str) else json.dumps(event))
            except ConnectionClosed:
                return  # the client went (a restart, SIGTERM): nothing more to replay to it
            if not self.sent:
                self.first_sent_at = time.monotonic()
            self.sent += 1
            self.last_sent_at = time.monotonic()
            count += 1
            if self.rate:
                ahead = count / self.rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        if not self.close_after:
            try:
                websocket.recv()  # hold the connection until the client goes
            except Exception:  # noqa: BLE001 - the client closing ends the handler either way
                return
