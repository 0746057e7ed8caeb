"""The registry of notification kinds: each app registers the kinds it sends in its ``AppConfig.ready()``.

As with webhook event types (``crisisdesk.webhooks.events``), ``notify`` refuses an unknown
kind, so a typo in a caller fails its tests instead of silently telling nobody.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class NotificationKind:
    """One kind of notification: its stable code (``review.requested``) and a label for people."""

    code: str
    label: str


KINDS: dict[str, NotificationKind] = {}


def register(code: str, label) -> NotificationKind:
    """Add a kind to the registry (idempotent for the same code)."""
    kind = NotificationKind(code, label)
    KINDS[code] = kind
    return kind


def get(code: str) -> NotificationKind:
    """The registered kind ``code``; ``ValueError`` for an unknown one."""
    try:
        return KINDS[code]
    except KeyError:
        raise ValueError(f"Unknown notification kind: {code!r} (register it in its app's ready()).") from None


def label(code: str) -> str:
    kind = KINDS.get(code)
    return str(kind.label) if kind else code


def choices() -> list[tuple[str, str]]:
    return [(kind.code, kind.label) for kind in KINDS.values()]
