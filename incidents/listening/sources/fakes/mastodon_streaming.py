"""A local fake of Mastodon's WebSocket streaming API (a real WebSocket server on 127.0.0.1), for the tests.

It speaks the documented protocol: ``GET /api/v1/streaming?stream=hashtag&tag=…`` upgraded to a
WebSocket; the client may send ``{"type": "subscribe", "stream": "hashtag", "tag": …}``; the server
sends ``{"stream": ["hashtag", <tag>], "event": …, "payload": …}`` messages (``payload`` a JSON text
for ``update``/``status.update``, the status id for ``delete``). ``connections[n]`` is the list of
messages the n-th connection gets (the last list repeats); ``drop_first`` closes the first one
abruptly (1011) after its messages; ``reject_status`` answers the handshake with an HTTP error;
``on_connect(n)`` runs before the n-th handshake is answered (a status posted meanwhile).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

from incidents.listening.sources.fakes.websocket import LocalWebSocketServer


def stream_message(event: str, payload, tag: str = "acme") -> dict:
    """A streaming message as Mastodon sends it (a status payload is serialised to a JSON text)."""
    return {
        "stream": ["hashtag", tag],
        "event": event,
        "payload": payload if isinstance(payload, str) else json.dumps(payload),
    }


class FakeMastodonStreaming(LocalWebSocketServer):
    def __init__(self, connections=(), *, drop_first=False, hold=False, on_connect=None):
        self.connections = [list(c) for c in connections] or [[]]
        self.drop_first = drop_first
        self.hold = hold
        self.on_connect = on_connect
        self.reject_status: int | None = None
        self.reject_headers: dict = {}
        self.requests: list[dict] = []
        self.subscriptions: list[dict] = []
        self.connected = 0
        self.handshakes = 0

    def _process_request(self, connection, request):
        parts = urlsplit(request.path)
        self.requests.append(
            {
                "path": parts.path,
                "authorization": request.headers.get("Authorization"),
                **{k: v[0] for k, v in parse_qs(parts.query).items()},
            }
        )
        if parts.path != "/api/v1/streaming":
            return connection.respond(404, "Not found\n")
        if self.reject_status:
            body = b'{"error":"refused"}'
            headers = Headers({"Content-Type": "application/json", "Content-Length": str(len(body))})
            for name, value in self.reject_headers.items():
                headers[name] = value
            return Response(self.reject_status, "Error", headers, body)
        if self.on_connect:
            # Before the handshake answer: the client's backfill, which follows it, sees what this adds.
            self.on_connect(self.handshakes)
        self.handshakes += 1
        return None

    def _handler(self, websocket):
        index = self.connected
        self.connected += 1
        messages = self.connections[min(index, len(self.connections) - 1)]
        try:
            for message in messages:
                websocket.send(message if isinstance(message, str) else json.dumps(message))
            if index == 0 and self.drop_first:
                websocket.close(1011, "internal error")
                return
            if self.hold:
                while True:
                    raw = websocket.recv()
                    self.subscriptions.append(json.loads(raw))
            # Read the client's subscriptions briefly, then end the stream normally.
            while True:
                raw = websocket.recv(timeout=1.0)
                self.subscriptions.append(json.loads(raw))
        except (ConnectionClosed, TimeoutError, ValueError):
            return
