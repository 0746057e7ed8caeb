"""Apprise URLs at rest: Fernet-encrypted, or a reference ``env:NAME`` read from the environment at send time.

The key is ``settings.CRISISDESK_SECRETS_KEY`` (env ``CRISISDESK_SECRETS_KEY``, a Fernet key:
``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``)
or, when unset, derived from ``SECRET_KEY`` with HKDF-SHA256. Rotation: changing the key (or
``SECRET_KEY`` while the key is derived) makes every stored URL unreadable; those destinations
fail with "cannot decrypt" until their URL is entered again. ``CRISISDESK_SECRETS_KEY`` may hold
several comma-separated keys (newest first): the first encrypts, all decrypt (MultiFernet), so a
key can be rotated without re-entering the URLs.
"""

import base64
import os
import re
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

ENV_PREFIX = "env:"
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")


class SecretUnavailable(Exception):
    """The URL cannot be read: wrong key, or the environment variable is missing."""


def _derived_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"crisisdesk", info=b"crisisdesk.chat.destination-url")
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode("utf-8")))


def _fernet() -> MultiFernet:
    configured = getattr(settings, "CRISISDESK_SECRETS_KEY", "") or ""
    keys = [key.strip() for key in configured.split(",") if key.strip()]
    return MultiFernet([Fernet(key) for key in keys] if keys else [Fernet(_derived_key())])


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise SecretUnavailable("The stored URL cannot be decrypted (was the secrets key changed?).") from exc


def is_reference(value: str) -> bool:
    return value.startswith(ENV_PREFIX)


def reference_name(value: str) -> str:
    return value[len(ENV_PREFIX) :].strip()


def resolve_reference(value: str) -> str:
    name = reference_name(value)
    url = os.environ.get(name, "").strip()
    if not url:
        raise SecretUnavailable(f"The environment variable {name} is not set.")
    return url


def mask(url: str) -> str:
    """What is shown back: the scheme and host only (``mmost://chat.example.org/…``); a reference as written.

    Many Apprise URLs carry a token where a host would be (``slack://TokenA/…``,
    ``msteams://…``): the host is shown only when it looks like one (a dotted name, an
    address, ``localhost``), never the port's or path's contents otherwise.
    """
    if is_reference(url):
        return f"{ENV_PREFIX}{reference_name(url)}"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        host, port = "", None
        parts = urlsplit(url.split("://", 1)[0] + "://") if "://" in url else None
    scheme = parts.scheme if parts is not None else ""
    if not scheme:
        return "…"
    if not ("." in host or ":" in host or host == "localhost"):
        return f"{scheme}://…"
    return f"{scheme}://{host}{f':{port}' if port else ''}/…"
