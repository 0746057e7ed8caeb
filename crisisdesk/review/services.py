"""The review engine: the one state machine every reviewed item goes through.

Browser views, admin actions, API actions and management commands call these
functions, never assign ``status``. Each runs in one transaction with the item's
row locked, writes an ``AuditEvent`` (and, through the policy, the incident
timeline) in that transaction, and sends e-mail only after commit.

Errors: ``PermissionDenied`` (missing role, four eyes), ``InvalidTransition``
(wrong state, missing approval, stale revision → 409), ``ValidationError`` (bad input).

Helpers live next door and stay importable from here: the approval reads
(``editor_ids``, ``missing_requirements``) in ``crisisdesk.review.approvals``, the audit
trail writer (``record_audit``) in ``crisisdesk.review.audit``, e-mail in ``crisisdesk.review.notify``.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisisdesk.exceptions import InvalidTransition

from . import notify
from .approvals import approvals_of as _approvals
from .approvals import content_type_of as _content_type
from .approvals import editor_ids, missing_requirements
from .audit import record_audit  # noqa: F401 (part of this module's API: callers use services.record_audit)
from .audit import write_event as _audit
from .models import (
    Action,
    Decision,
    ReviewDecision,
    ReviewRequest,
    ReviewRequestStatus,
    ReviewStatus,
    Revision,
    canonical_hash,
)
from .policy import Requirement, ReviewPolicy, policy_for

S = ReviewStatus

# The review workflow, in one place: for each action, from which status to which.
# APPROVE lands on APPROVED only once every approval the policy requires exists for
# the current revision; until then the item stays IN_REVIEW. APPROVE from APPROVED
# adds an approval that became necessary later (the incident went to severity 1).
# PRE_APPROVE happens when a new revision inherits approvals (verbatim key message);
# the item stays DRAFT if they are not enough. REJECTED and WITHDRAWN are terminal:
# a rejected text is dead, a new one is drafted. Published text is never edited:
# it is withdrawn and a new statement written.
TRANSITIONS: dict[str, dict[str, str]] = {
    Action.EDIT: {S.DRAFT: S.DRAFT, S.IN_REVIEW: S.DRAFT, S.APPROVED: S.DRAFT},
    Action.SUBMIT: {S.DRAFT: S.IN_REVIEW},
    Action.APPROVE: {S.IN_REVIEW: S.APPROVED, S.APPROVED: S.APPROVED},
    Action.PRE_APPROVE: {S.DRAFT: S.APPROVED},
    Action.REQUEST_CHANGES: {S.IN_REVIEW: S.DRAFT},
    Action.REJECT: {S.IN_REVIEW: S.REJECTED},
    Action.PUBLISH: {S.APPROVED: S.PUBLISHED},
    # Withdrawing an approved text that never went out shelves it for good.
    Action.WITHDRAW: {S.PUBLISHED: S.WITHDRAWN, S.APPROVED: S.WITHDRAWN},
}


ACTION_VERBS = {
    Action.EDIT: gettext_lazy("edit"),
    Action.SUBMIT: gettext_lazy("submit for review"),
    Action.APPROVE: gettext_lazy("approve"),
    Action.PRE_APPROVE: gettext_lazy("pre-approve"),
    Action.REQUEST_CHANGES: gettext_lazy("request changes"),
    Action.REJECT: gettext_lazy("reject"),
    Action.PUBLISH: gettext_lazy("publish"),
    Action.WITHDRAW: gettext_lazy("withdraw"),
}


# --- helpers ---------------------------------------------------------------------------


def _lock(item):
    """Re-read the item with its row locked, for the rest of the transaction.

    Two reviewers, or a reviewer and a publisher, pressing buttons at once must not
    both act on the state they saw on screen (an approval landing on a revision an
    edit just replaced; two publishes): the second waits here for the first to
    commit, then sees its result. Lock order is always item, then incident.
    """
    return type(item)._default_manager.select_for_update().get(pk=item.pk)


def _target(item, action: str) -> str:
    """The status ``action`` leads to from the item's current status, or InvalidTransition."""
    targets = TRANSITIONS[action]
    if item.status not in targets:
        raise InvalidTransition(
            _("Not possible while the item is %(status)s: %(action)s.")
            % {"action": ACTION_VERBS[action], "status": ReviewStatus(item.status).label.lower()},
            current=item.status,
            requested=action,
        )
    return targets[item.status]


def _require_view(policy: ReviewPolicy, actor, item) -> None:
    if not policy.can_view(actor, item):
        raise PermissionDenied(_("You may not see this item."))


def _require(policy: ReviewPolicy, actor, item, action: str, message: str) -> None:
    if not policy.can(actor, item, action):
        raise PermissionDenied(message)


def _require_current(item, revision, *, required: bool = False) -> None:
    """The person acting saw ``revision``; refuse if an edit replaced it meanwhile."""
    if revision is None and required:
        raise ValidationError({"revision": _("Say which revision you reviewed.")})
    if revision is not None and getattr(revision, "pk", revision) != item.current_revision_id:
        raise InvalidTransition(
            _("The text changed since you opened it; read the new revision first."),
            current=item.status,
        )


def _factor(factor: str) -> dict:
    """The audit data naming the second factor that confirmed the act (none from the shell or a seed).

    A token's approval grant (``"token-grant"``, ``crisisdesk.twofactor.stepup.TokenGrantFactor``) adds its id.
    """
    if not factor:
        return {}
    grant_id = getattr(factor, "grant_id", None)
    return {"factor": str(factor), "grant": grant_id} if grant_id is not None else {"factor": str(factor)}


def _save_status(item, status: str, *fields: str) -> None:
    item.status = status
    item.save(update_fields=["status", "updated_at", *fields])


def _close_open_request(item, status: str) -> ReviewRequest | None:
    request = (
        ReviewRequest.objects.select_for_update()
        .filter(content_type=_content_type(item), object_id=item.pk, status=ReviewRequestStatus.OPEN)
        .first()
    )
    if request is not None:
        request.status = status
        request.closed_at = timezone.now()
        request.save(update_fields=["status", "closed_at"])
    return request


def _open_request(item) -> ReviewRequest | None:
    return ReviewRequest.objects.filter(
        content_type=_content_type(item), object_id=item.pk, status=ReviewRequestStatus.OPEN
    ).first()


def _new_revision(*, policy: ReviewPolicy, item, actor) -> Revision:
    content = policy.content(item)
    last = item.current_revision
    return Revision.objects.create(
        content_type=_content_type(item),
        object_id=item.pk,
        number=(last.number + 1) if last else 1,
        content=content,
        content_hash=canonical_hash(content),
        text_hash=canonical_hash(policy.public_text(item)),
        created_by=actor,
    )


def _apply_inherited_approvals(*, policy: ReviewPolicy, item, actor, revision: Revision, ip_address) -> None:
    """Give a new revision the approvals it inherits (a verbatim key message), then re-evaluate."""
    editors = editor_ids(item)
    created = []
    for source in policy.inherited_approvals(item, revision):
        # Four eyes across items: the key message's approver may not have written this one.
        if source.reviewer_id in editors:
            continue
        created.append(
            ReviewDecision.objects.create(
                content_type=_content_type(item),
                object_id=item.pk,
                revision=revision,
                content_hash=revision.content_hash,
                reviewer=source.reviewer,
                decision=Decision.APPROVE,
                role=source.role,
                based_on=source,
                comment=_("Inherited from an approved key message reused verbatim."),
            )
        )
    if not created:
        return
    from_state = item.status
    missing = missing_requirements(item, policy=policy)
    if not missing:
        _save_status(item, _target(item, Action.PRE_APPROVE))
    _audit(
        policy=policy,
        item=item,
        actor=actor,
        action=Action.PRE_APPROVE,
        from_state=from_state,
        to_state=item.status,
        ip_address=ip_address,
        revision=revision,
        data={"based_on": [d.based_on_id for d in created], "roles": [d.role for d in created]},
    )
    if missing and item.status == S.DRAFT and policy.can(actor, item, Action.SUBMIT):
        # Reused word for word, yet one approval is still needed (a severity 1 lead's): the author chose an
        # approved line to send, so it goes straight to whoever must still approve it instead of waiting
        # for a "submit" click in the first minutes of a crisis.
        _open_review(policy=policy, item=item, actor=actor, comment="", ip_address=ip_address)


def ensure_allowed(*, actor, item, action: str) -> None:
    """Raise unless ``actor`` may take the author-side ``action`` on ``item`` in its current state.

    Item services call it before touching fields, so a refused edit changes nothing
    and reports the right error (403 before 400).
    """
    policy = policy_for(item)
    _require_view(policy, actor, item)
    _target(item, action)
    _require(policy, actor, item, action, _("You may not do this to this item."))


# --- what the UI may offer ------------------------------------------------------------------


def available_actions(*, user, item) -> list[str]:
    """The actions ``user`` may take on ``item`` now: the buttons a page shows (never raises)."""
    policy = policy_for(item)
    if not policy.can_view(user, item):
        return []
    actions = []
    for action in (Action.EDIT, Action.SUBMIT, Action.PUBLISH, Action.WITHDRAW):
        if item.status in TRANSITIONS[action] and policy.can(user, item, action):
            if action == Action.PUBLISH and (not policy.publishable or missing_requirements(item, policy=policy)):
                continue
            actions.append(action)
    if item.status in TRANSITIONS[Action.APPROVE] and _approvable_requirement(policy, user, item) is not None:
        actions.append(Action.APPROVE)
    if item.status in TRANSITIONS[Action.REJECT] and _reviewer_requirements(policy, user, item):
        actions += [Action.REQUEST_CHANGES, Action.REJECT]
    return actions


def _reviewer_requirements(policy: ReviewPolicy, user, item) -> list[Requirement]:
    if not user.is_authenticated or user.pk in editor_ids(item):
        return []
    return [r for r in policy.requirements(item) if policy.qualifies(user, item, r)]


def _approvable_requirement(policy: ReviewPolicy, user, item, role: str | None = None) -> Requirement | None:
    qualifying = [r for r in _reviewer_requirements(policy, user, item) if role is None or r.code == role]
    if not qualifying or item.current_revision is None:
        return None
    if any(d.reviewer_id == user.pk for d in _approvals(item, item.current_revision)):
        return None  # one person counts once per revision
    missing = {r.code for r in missing_requirements(item, policy=policy)}
    for requirement in qualifying:
        if requirement.code in missing:
            return requirement
    # Nothing missing but still in review (the incident's severity went down): confirm it.
    if not missing and item.status == ReviewStatus.IN_REVIEW:
        return qualifying[0]
    return None


# --- the services ------------------------------------------------------------------------------


@transaction.atomic
def review_start(*, actor, item, ip_address: str | None = None) -> Revision:
    """Record a newly created item's first revision; called by the item's create service."""
    item = _lock(item)
    policy = policy_for(item)
    if item.current_revision_id is not None:
        raise InvalidTransition(_("This item already has revisions."), current=item.status)
    revision = _new_revision(policy=policy, item=item, actor=actor)
    item.current_revision = revision
    item.save(update_fields=["current_revision", "updated_at"])
    _audit(
        policy=policy,
        item=item,
        actor=actor,
        action=Action.CREATE,
        from_state="",
        to_state=item.status,
        ip_address=ip_address,
        revision=revision,
    )
    _apply_inherited_approvals(policy=policy, item=item, actor=actor, revision=revision, ip_address=ip_address)
    return revision


@transaction.atomic
def review_record_edit(*, actor, item, comment: str = "", ip_address: str | None = None) -> Revision | None:
    """Snapshot an edit the item's own service just saved: a new revision, back to draft.

    Approvals stay bound to the revision they were given for, so they simply stop
    counting; an open review round is cancelled. Returns None when nothing
    reviewable changed (no revision, no status change).
    """
    item = _lock(item)
    policy = policy_for(item)
    _require_view(policy, actor, item)
    target = _target(item, Action.EDIT)
    _require(policy, actor, item, Action.EDIT, _("You may not edit this item."))
    content_hash = canonical_hash(policy.content(item))
    if item.current_revision is not None and item.current_revision.content_hash == content_hash:
        return None
    from_state = item.status
    revision = _new_revision(policy=policy, item=item, actor=actor)
    cancelled = _close_open_request(item, ReviewRequestStatus.CANCELLED)
    item.current_revision = revision
    _save_status(item, target, "current_revision")
    _audit(
        policy=policy,
        item=item,
        actor=actor,
        action=Action.EDIT,
        from_state=from_state,
        to_state=target,
        comment=comment,
        ip_address=ip_address,
        revision=revision,
        data={"voided_approval": from_state == S.APPROVED, "cancelled_review": cancelled is not None},
    )
    _apply_inherited_approvals(policy=policy, item=item, actor=actor, revision=revision, ip_address=ip_address)
    return revision


@transaction.atomic
def review_submit(*, actor, item, comment: str = "", ip_address: str | None = None):
    """Send the current revision to its reviewers (opens one review round)."""
    item = _lock(item)
    policy = policy_for(item)
    _require_view(policy, actor, item)
    _target(item, Action.SUBMIT)
    _require(policy, actor, item, Action.SUBMIT, _("You may not submit this item for review."))
    _open_review(policy=policy, item=item, actor=actor, comment=comment, ip_address=ip_address)
    return item


def _open_review(*, policy: ReviewPolicy, item, actor, comment: str, ip_address) -> None:
    """Open a review round on the current revision and tell the reviewers (the row is locked by the caller)."""
    target = _target(item, Action.SUBMIT)
    ReviewRequest.objects.create(
        content_type=_content_type(item),
        object_id=item.pk,
        revision=item.current_revision,
        submitted_by=actor,
        comment=comment,
    )
    _save_status(item, target)
    _audit(
        policy=policy,
        item=item,
        actor=actor,
        action=Action.SUBMIT,
        from_state=S.DRAFT,
        to_state=target,
        comment=comment,
        ip_address=ip_address,
        revision=item.current_revision,
    )
    notify.notify_reviewers(policy, item, missing_requirements(item, policy=policy), editors=editor_ids(item))


@transaction.atomic
def review_approve(
    *,
    actor,
    item,
    revision,
    comment: str = "",
    role: str | None = None,
    ip_address: str | None = None,
    factor: str = "",
) -> ReviewDecision:
    """Approve exactly ``revision`` (the one the reviewer read) under one requirement of the policy.

    The item becomes APPROVED only when every requirement is met for that revision. ``factor`` is
    the second factor the interface checked (``crisisdesk.twofactor.stepup``), kept in the audit event.
    """
    item = _lock(item)
    policy = policy_for(item)
    _require_view(policy, actor, item)
    target = _target(item, Action.APPROVE)
    _require_current(item, revision, required=True)
    if actor.pk in editor_ids(item):
        raise PermissionDenied(_("You wrote or edited this text: someone else must approve it."))
    if not _reviewer_requirements(policy, actor, item):
        raise PermissionDenied(_("You may not approve this item."))
    requirement = _approvable_requirement(policy, actor, item, role)
    if requirement is None:
        raise InvalidTransition(_("There is no approval left for you to give on this revision."), current=item.status)
    from_state = item.status
    revision = item.current_revision
    decision = ReviewDecision.objects.create(
        content_type=_content_type(item),
        object_id=item.pk,
        revision=revision,
        content_hash=revision.content_hash,
        review_request=_open_request(item),
        reviewer=actor,
        decision=Decision.APPROVE,
        role=requirement.code,
        comment=comment,
    )
    missing = missing_requirements(item, policy=policy)
    if not missing:
        _close_open_request(item, ReviewRequestStatus.APPROVED)
        _save_status(item, target)
    _audit(
        policy=policy,
        item=item,
        actor=actor,
        action=Action.APPROVE,
        from_state=from_state,
        to_state=item.status,
        comment=comment,
        ip_address=ip_address,
        revision=revision,
        data={"role": requirement.code, "missing": [r.code for r in missing], **_factor(factor)},
    )
    notify.notify_authors(policy, item, decision=Decision.APPROVE, reviewer=actor, comment=comment)
    return decision


def _decide_against(
    *, actor, item, decision: str, action: str, request_status: str, comment: str, revision, ip_address
) -> ReviewDecision:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what must change or why it is rejected.")})
    item = _lock(item)
    policy = policy_for(item)
    _require_view(policy, actor, item)
    target = _target(item, action)
    _require_current(item, revision)
    if actor.pk in editor_ids(item):
        raise PermissionDenied(_("You wrote or edited this text: edit it instead of reviewing it."))
    requirements = _reviewer_requirements(policy, actor, item)
    if not requirements:
        raise PermissionDenied(_("You may not review this item."))
    from_state = item.status
    record = ReviewDecision.objects.create(
        content_type=_content_type(item),
        object_id=item.pk,
        revision=item.current_revision,
        content_hash=item.current_revision.content_hash,
        review_request=_open_request(item),
        reviewer=actor,
        decision=decision,
        role=requirements[0].code,
        comment=comment,
    )
    _close_open_request(item, request_status)
    _save_status(item, target)
    _audit(
        policy=policy,
        item=item,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=target,
        comment=comment,
        ip_address=ip_address,
        revision=item.current_revision,
        data={"role": requirements[0].code},
    )
    notify.notify_authors(policy, item, decision=decision, reviewer=actor, comment=comment)
    return record


@transaction.atomic
def review_request_changes(
    *, actor, item, comment: str, revision=None, ip_address: str | None = None
) -> ReviewDecision:
    """Send the item back to its author with a comment; it returns to draft."""
    return _decide_against(
        actor=actor,
        item=item,
        decision=Decision.REQUEST_CHANGES,
        action=Action.REQUEST_CHANGES,
        request_status=ReviewRequestStatus.CHANGES_REQUESTED,
        comment=comment,
        revision=revision,
        ip_address=ip_address,
    )


@transaction.atomic
def review_reject(*, actor, item, comment: str, revision=None, ip_address: str | None = None) -> ReviewDecision:
    """Refuse the item for good (terminal): this text must never go out."""
    return _decide_against(
        actor=actor,
        item=item,
        decision=Decision.REJECT,
        action=Action.REJECT,
        request_status=ReviewRequestStatus.REJECTED,
        comment=comment,
        revision=revision,
        ip_address=ip_address,
    )


@transaction.atomic
def review_publish(*, actor, item, revision=None, comment: str = "", ip_address: str | None = None, factor: str = ""):
    """Put the approved current revision live, after re-checking every required approval against its hash."""
    item = _lock(item)
    policy = policy_for(item)
    _require_view(policy, actor, item)
    if not policy.publishable:
        raise InvalidTransition(_("This kind of item is used, not published."), current=item.status)
    target = _target(item, Action.PUBLISH)
    _require(policy, actor, item, Action.PUBLISH, _("You may not publish this item."))
    _require_current(item, revision)
    # The status says "approved", but the gate is the approvals themselves: re-check them
    # against the exact revision that would go out (policy may have tightened since).
    missing = missing_requirements(item, policy=policy)
    if missing:
        raise InvalidTransition(
            _("Missing approval: %s.") % ", ".join(str(r.label) for r in missing), current=item.status
        )
    revision = item.current_revision
    policy.check_publishable(item, revision)
    item.published_revision = revision
    item.published_at = timezone.now()
    item.published_by = actor
    _save_status(item, target, "published_revision", "published_at", "published_by")
    policy.on_published(item, actor=actor)
    _audit(
        policy=policy,
        item=item,
        actor=actor,
        action=Action.PUBLISH,
        from_state=S.APPROVED,
        to_state=target,
        comment=comment,
        ip_address=ip_address,
        revision=revision,
        data={"content_hash": revision.content_hash, **_factor(factor)},
    )
    return item


@transaction.atomic
def review_withdraw(*, actor, item, reason: str, ip_address: str | None = None, factor: str = ""):
    """Take a published item down (or shelve an approved one), with the reason recorded for staff.

    The reason is internal (war room, timeline, audit, API for those who may see the item): public
    surfaces such as the newsroom show a fixed notice with the date only.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the withdrawal.")})
    item = _lock(item)
    policy = policy_for(item)
    _require_view(policy, actor, item)
    target = _target(item, Action.WITHDRAW)
    _require(policy, actor, item, Action.WITHDRAW, _("You may not withdraw this item."))
    from_state = item.status
    item.withdrawn_at = timezone.now()
    item.withdrawn_by = actor
    item.withdrawal_reason = reason
    _save_status(item, target, "withdrawn_at", "withdrawn_by", "withdrawal_reason")
    _audit(
        policy=policy,
        item=item,
        actor=actor,
        action=Action.WITHDRAW,
        from_state=from_state,
        to_state=target,
        comment=reason,
        ip_address=ip_address,
        revision=item.current_revision,
        data=_factor(factor),
    )
    return item
