"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Each POST carries ``webhook-id`` (the event id: the same on every retry, so receivers
deduplicate on it), ``webhook-timestamp`` (unix seconds of this attempt) and
``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``. The
key is the base64-decoded part of the ``whsec_…`` secret, as the specification and
its reference libraries have it, so a receiver can verify with any of them.
"""

import base64
import hashlib
import hmac

from .models import SECRET_PREFIX


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a ``whsec_`` secret."""
    encoded = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(encoded)


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every header a delivery sends (the secret itself never leaves this function)."""
    return {
        "content-type": "application/json",
        "user-agent": "CrisisDesk-Webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }
