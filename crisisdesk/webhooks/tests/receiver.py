"""Test doubles that are real: a webhook receiver (``http.server`` in a thread on 127.0.0.1) and, as the
independent verifier of our Standard Webhooks signatures, the reference ``standardwebhooks`` library
(none of ``crisisdesk.webhooks.signing`` is used to check them).
"""

import binascii
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import time_machine
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from crisisdesk.testing.worker import free_port


class SignatureError(Exception):
    pass


def verify(*, secret: str, headers: dict, body: bytes, now: int) -> dict:
    """Verify a request as a Standard Webhooks receiver does; return the parsed body or raise SignatureError.

    ``standardwebhooks.Webhook(secret).verify(body, headers)``: the key is the base64 part of
    ``whsec_…``; the signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the header
    lists space-separated ``v1,<base64>`` signatures; a timestamp more than 5 minutes from now is
    refused (replay). The library reads the clock: it is set to ``now`` for the check.
    """
    try:
        with time_machine.travel(datetime.fromtimestamp(now, tz=UTC), tick=False):
            return Webhook(secret).verify(body, dict(headers))
    except (WebhookVerificationError, ValueError, binascii.Error) as exc:
        raise SignatureError(str(exc)) from exc


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict
    body: bytes
    answered: int
    at: float

    @property
    def event_id(self) -> str:
        return self.headers.get("webhook-id", "")

    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """A local HTTP endpoint that records every POST; set ``status`` and ``delay`` to misbehave.

    ``stop()`` closes the port (connection refused, a receiver that is really down) and
    ``start()`` opens the same port again.
    """

    def __init__(self, *, status: int = 200, delay: float = 0.0, port: int | None = None):
        self.status = status
        self.delay = delay
        self.port = port or free_port()
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/crisisdesk"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status
                with receiver._lock:
                    receiver.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status, time.time())
                    )
                self.send_response(status)
                self.send_header("content-type", "text/plain")
                message = b"ok" if status < 300 else b"receiver says no"
                self.send_header("content-length", str(len(message)))
                self.end_headers()
                self.wfile.write(message)

            def log_message(self, format, *args):  # noqa: A002 - quiet test output
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def accepted(self) -> list[Received]:
        """Requests answered with a 2xx."""
        with self._lock:
            return [r for r in self.requests if 200 <= r.answered < 300]

    def accepted_ids(self) -> list[str]:
        return [r.event_id for r in self.accepted()]
