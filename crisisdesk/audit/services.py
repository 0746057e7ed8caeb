"""``audit_record``: the one writer of the system audit trail; call it inside the transaction of the change.

``acting_as(user)`` names the actor for changes that arrive without one (the ``User.groups``
signal, see ``signals``): the admin's user form wraps its save in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections

from .models import REPR_LENGTH, STATE_LENGTH, AuditRecord

_actor: ContextVar = ContextVar("crisisdesk_audit_actor", default=None)


@contextmanager
def acting_as(user):
    """Changes audited inside this block without an explicit actor are attributed to ``user``."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    return _actor.get()


def _clip(value, length: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= length else text[: length - 1] + "…"


def state_of(values: Iterable) -> str:
    """A set of values as one sortable ``from``/``to`` text: ``"communicator, team_lead"``."""
    return ", ".join(sorted(str(value) for value in values))


def audit_record(
    *,
    actor,
    action: str,
    target=None,
    from_state="",
    to_state="",
    comment: str = "",
    data: dict | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> AuditRecord:
    """Record one state change: ``actor`` (a user, or ``None`` for the system) did ``action`` to ``target``.

    Must run inside the transaction of the change it records, so both commit or neither does.
    """
    _check(action, using)
    record = _build(actor=actor, action=action, target=target, from_state=from_state, to_state=to_state, using=using)
    record.comment = comment or ""
    record.data = data or {}
    record.save(using=using)
    return record


def audit_records(*, actor, action: str, changes, comment: str = "", using: str = DEFAULT_DB_ALIAS) -> list:
    """One record per ``(target, from_state, to_state)`` of a bulk change (mention triage), written in one query."""
    _check(action, using)
    records = [
        _build(actor=actor, action=action, target=target, from_state=before, to_state=after, using=using)
        for target, before, after in changes
        if before != after
    ]
    for record in records:
        record.comment = comment or ""
    return AuditRecord.objects.using(using).bulk_create(records)


def _check(action: str, using: str) -> None:
    if not connections[using].in_atomic_block:
        raise RuntimeError("audit_record() must be called inside the transaction of the change it records.")
    if not action:
        raise ValueError("An audit record needs an action.")


def _build(*, actor, action, target, from_state, to_state, using) -> AuditRecord:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    target_type = None
    target_id = ""
    if target is not None:
        target_type = ContentType.objects.db_manager(using).get_for_model(target, for_concrete_model=False)
        target_id = str(target.pk)
    return AuditRecord(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=_clip(target, REPR_LENGTH) if target is not None else "",
        from_state=_clip(from_state, STATE_LENGTH),
        to_state=_clip(to_state, STATE_LENGTH),
        data={},
    )


def records_for(target):
    """The audit records of one object, newest first."""
    content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
    return AuditRecord.objects.filter(target_type=content_type, target_id=str(target.pk))
