"""The shared part of the local WebSocket fakes (Jetstream, Mastodon streaming): a real server on 127.0.0.1 in a thread.

A subclass defines ``_handler(websocket)`` and ``_process_request(connection, request)`` (the
handshake: ``None`` to accept, or an HTTP ``Response``).
"""

from __future__ import annotations

import threading

from websockets.sync.server import serve


class LocalWebSocketServer:
    _server = None
    _thread = None

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}"

    def start(self):
        self._server = serve(self._handler, "127.0.0.1", 0, process_request=self._process_request, compression=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _handler(self, websocket):
        raise NotImplementedError

    def _process_request(self, connection, request):
        return None
