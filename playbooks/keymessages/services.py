"""Writes to key messages, and the review policy the engine applies to them.

Status changes (submit, approve, request changes, reject, withdraw) are
``crisisdesk.review.services`` functions called with the key message. Who may do
what (issue 3): Communicators and Team leads draft, edit and submit key messages;
Legal (``approve_keymessage`` through a group) approves them, four eyes applying;
Team leads and Legal retire them (withdraw). Key messages are never published:
``approved`` and unexpired is the state in which statements may reuse them.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from crisisdesk.notifications.messages import message
from crisisdesk.review import services as review
from crisisdesk.review.models import Action, BodyFormat, ContentLanguage
from crisisdesk.review.policy import Requirement, ReviewPolicy, has_explicit_perm
from crisisdesk.text import normalise_newlines
from playbooks.keymessages.models import KeyMessage, KeyMessageKind

LEGAL_APPROVAL = Requirement("legal", gettext_lazy("Legal"))

EDITABLE_FIELDS = ("kind", "topic", "title", "language", "body", "body_format", "valid_until", "review_due")

ACTION_PERMISSIONS = {
    Action.EDIT: "playbooks.change_keymessage",
    Action.SUBMIT: "playbooks.submit_keymessage",
    Action.WITHDRAW: "playbooks.withdraw_keymessage",
}


class KeyMessagePolicy(ReviewPolicy):
    """Key messages need one Legal approval and are used, not published."""

    publishable = False
    # valid_until is reviewed (extending a line's life is Legal's call); review_due is housekeeping.
    content_fields = ("kind", "topic", "title", "language", "body", "body_format")

    def content(self, item) -> dict:
        content = super().content(item)
        content["valid_until"] = item.valid_until.isoformat() if item.valid_until else None
        return content

    def requirements(self, item) -> list[Requirement]:
        return [LEGAL_APPROVAL]

    def qualifies(self, user, item, requirement: Requirement) -> bool:
        return (
            requirement == LEGAL_APPROVAL
            and self.can_view(user, item)
            and has_explicit_perm(user, "playbooks.approve_keymessage")
        )

    def reviewers(self, item, requirement: Requirement):
        from incidents.statements.services import users_with_perm

        return [user for user in users_with_perm("playbooks.approve_keymessage") if self.can_view(user, item)]

    def can_view(self, user, item) -> bool:
        return user.is_authenticated and user.is_active and user.has_perm("playbooks.view_keymessage")

    def can(self, user, item, action: str) -> bool:
        perm = ACTION_PERMISSIONS.get(action)
        return perm is not None and self.can_view(user, item) and user.has_perm(perm)

    def describe_message(self, item):
        return message(gettext_noop("Key message “%s”"), [item.title])


@transaction.atomic
def keymessage_create(
    *,
    actor,
    topic: str,
    title: str,
    body: str,
    kind: str = KeyMessageKind.HOLDING_STATEMENT,
    language: str = ContentLanguage.EN,
    body_format: str = BodyFormat.PLAIN,
    valid_until=None,
    review_due=None,
    ip_address: str | None = None,
) -> KeyMessage:
    """Draft a key message; it needs Legal's approval before a statement can reuse it."""
    if not actor.has_perm("playbooks.add_keymessage"):
        raise PermissionDenied(_("You may not draft key messages."))
    key_message = KeyMessage(
        kind=kind,
        topic=(topic or "").strip(),
        title=(title or "").strip(),
        language=language,
        body=normalise_newlines(body),
        body_format=body_format,
        valid_until=valid_until,
        review_due=review_due,
        created_by=actor,
    )
    key_message.full_clean()
    key_message.save()
    review.review_start(actor=actor, item=key_message, ip_address=ip_address)
    key_message.refresh_from_db()
    return key_message


@transaction.atomic
def keymessage_update(
    *, actor, key_message: KeyMessage, comment: str = "", ip_address: str | None = None, **changes
) -> KeyMessage:
    """Edit a key message: a new revision and back to draft, so statements stop inheriting its approval."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be edited here.") for field in unknown})
    key_message = KeyMessage.objects.select_for_update().get(pk=key_message.pk)
    review.ensure_allowed(actor=actor, item=key_message, action=Action.EDIT)
    if "body" in changes:
        changes["body"] = normalise_newlines(changes["body"])
    for field, value in changes.items():
        setattr(key_message, field, value)
    key_message.full_clean()
    key_message.save()
    review.review_record_edit(actor=actor, item=key_message, comment=comment, ip_address=ip_address)
    key_message.refresh_from_db()
    return key_message
