"""Secrets at rest for every app: Fernet-encrypted values, or a reference ``env:NAME`` read at use time.

The key is ``settings.CRISISDESK_SECRETS_KEY`` (env ``CRISISDESK_SECRETS_KEY``, a Fernet key:
``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``)
or, when unset, derived from ``SECRET_KEY`` with HKDF-SHA256 (one derivation per ``purpose``, so a
value encrypted for one use cannot be decrypted as another's). ``CRISISDESK_SECRETS_KEY`` may hold
several comma-separated keys (newest first): the first encrypts, all decrypt (MultiFernet), so a
key can be rotated without re-entering the secrets. Changing the key (or ``SECRET_KEY`` while the
key is derived) makes stored secrets unreadable: their users fail with "cannot decrypt" until the
secret is entered again.

Used by chat destinations (``crisisdesk.chat.secrets``) and listening sources' credentials.
"""

import base64
import os
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

ENV_PREFIX = "env:"
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")


class SecretUnavailable(Exception):
    """The secret cannot be read: wrong key, or the environment variable is missing."""


def _derived_key(purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"crisisdesk", info=purpose.encode("ascii"))
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode("utf-8")))


def fernet(purpose: str) -> MultiFernet:
    """The configured keys (the derived one for ``purpose`` when none is configured)."""
    configured = getattr(settings, "CRISISDESK_SECRETS_KEY", "") or ""
    keys = [key.strip() for key in configured.split(",") if key.strip()]
    return MultiFernet([Fernet(key) for key in keys] if keys else [Fernet(_derived_key(purpose))])


def encrypt(plain: str, *, purpose: str) -> str:
    return fernet(purpose).encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, purpose: str, what: str = "secret") -> str:
    try:
        return fernet(purpose).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise SecretUnavailable(f"The stored {what} cannot be decrypted (was the secrets key changed?).") from exc


def is_reference(value: str) -> bool:
    return value.startswith(ENV_PREFIX)


def reference_name(value: str) -> str:
    return value[len(ENV_PREFIX) :].strip()


def resolve_reference(value: str) -> str:
    name = reference_name(value)
    resolved = os.environ.get(name, "").strip()
    if not resolved:
        raise SecretUnavailable(f"The environment variable {name} is not set.")
    return resolved
