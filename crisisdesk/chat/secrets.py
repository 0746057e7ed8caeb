"""Apprise URLs at rest: Fernet-encrypted, or a reference ``env:NAME`` read from the environment at send time.

The encryption is the kernel's (``crisisdesk.secretbox``), with this module's own purpose.

The key is ``settings.CRISISDESK_SECRETS_KEY`` (env ``CRISISDESK_SECRETS_KEY``, a Fernet key:
``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``)
or, when unset, derived from ``SECRET_KEY`` with HKDF-SHA256. Rotation: changing the key (or
``SECRET_KEY`` while the key is derived) makes every stored URL unreadable; those destinations
fail with "cannot decrypt" until their URL is entered again. ``CRISISDESK_SECRETS_KEY`` may hold
several comma-separated keys (newest first): the first encrypts, all decrypt (MultiFernet), so a
key can be rotated without re-entering the URLs.
"""

from urllib.parse import urlsplit

from crisisdesk.secretbox import ENV_NAME, ENV_PREFIX, SecretUnavailable, is_reference, reference_name
from crisisdesk.secretbox import decrypt as _decrypt
from crisisdesk.secretbox import encrypt as _encrypt
from crisisdesk.secretbox import resolve_reference as _resolve

__all__ = [
    "ENV_NAME",
    "ENV_PREFIX",
    "SecretUnavailable",
    "decrypt",
    "encrypt",
    "is_reference",
    "mask",
    "reference_name",
    "resolve_reference",
]

# The HKDF "info" of the key derived from SECRET_KEY: unchanged since the URLs were first stored.
PURPOSE = "crisisdesk.chat.destination-url"


def encrypt(plain: str) -> str:
    return _encrypt(plain, purpose=PURPOSE)


def decrypt(token: str) -> str:
    return _decrypt(token, purpose=PURPOSE, what="URL")


def resolve_reference(value: str) -> str:
    return _resolve(value)


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
