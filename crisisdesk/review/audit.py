"""The review engine's audit trail writer: one ``AuditEvent`` per edit, transition or recorded fact.

Called by ``crisisdesk.review.services`` inside the transaction of the change it records;
the item's policy mirrors each event elsewhere (the incident timeline) in that transaction.
``record_audit`` is importable from ``crisisdesk.review.services`` too.
"""

from crisisdesk import live

from .approvals import content_type_of
from .models import AuditEvent, Revision
from .policy import ReviewPolicy, policy_for


def write_event(
    *,
    policy: ReviewPolicy,
    item,
    actor,
    action: str,
    from_state: str,
    to_state: str,
    comment: str = "",
    ip_address: str | None = None,
    revision: Revision | None = None,
    data: dict | None = None,
) -> AuditEvent:
    incident = policy.incident(item)
    event = AuditEvent.objects.create(
        content_type=content_type_of(item),
        object_id=item.pk,
        incident=incident,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        ip_address=ip_address or None,
        revision=revision,
        data=data or {},
    )
    policy.record_event(item, event)
    # Live pages: the review queue, and the item's incident (its war room and statement pages).
    live.touch(live.REVIEWS, live.incident_topic(incident) if incident is not None else "")
    return event


def record_audit(*, actor, item, action: str, comment: str = "", ip_address=None, data: dict | None = None):
    """Write a non-transition audit event (a live URL recorded) through the same trail; call inside a transaction."""
    policy = policy_for(item)
    return write_event(
        policy=policy,
        item=item,
        actor=actor,
        action=action,
        from_state=item.status,
        to_state=item.status,
        comment=comment,
        ip_address=ip_address,
        revision=item.current_revision,
        data=data,
    )
