"""What reusing an approved key message verbatim spares a statement, and what it still needs (issue 12).

Never "pre-approved" when something is still missing: the sentences here are built from the review
policy — the requirements ``StatementPolicy.requirements`` sets for the incident (Legal; at severity 1
also the incident lead), those the key message's approvals cover, and ``missing_requirements`` — so
the create page's banner, the statement page's banner and the timeline entry say the same thing as the
engine, from one place, with no second copy of the severity rule.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisisdesk.review.approvals import approvals_of
from crisisdesk.review.policy import policy_for
from crisisdesk.review.services import missing_requirements
from incidents import timeline
from incidents.models import TimelineKind

# How each requirement code reads in a sentence ("Legal's review is not needed"); others use their label.
REQUIREMENT_PHRASES = {
    "legal": gettext_lazy("Legal's review"),
    "incident_lead": gettext_lazy("the incident lead's approval"),
}


def requirement_phrases(codes) -> str:
    """The requirements named by ``codes``, as a phrase in the active language (a timeline converter too)."""
    return _(" and ").join(str(REQUIREMENT_PHRASES.get(code, code)) for code in codes or [])


STATEMENT_REUSED_COMPLETE = timeline.event(
    "statement.reused_key_message",
    gettext_lazy(
        "Statement “%(title)s” reused verbatim from an approved key message: %(covered)s is not needed; "
        "nothing else is required, it can be published."
    ),
    {"covered": requirement_phrases},
)
STATEMENT_REUSED_PENDING = timeline.event(
    "statement.reused_key_message_pending",
    gettext_lazy(
        "Statement “%(title)s” reused verbatim from an approved key message: %(covered)s is not needed; "
        "%(missing)s is still required at severity %(severity)s."
    ),
    {"covered": requirement_phrases, "missing": requirement_phrases},
)


def reuse_sentence(*, covered, missing, severity) -> str:
    """The sentence shown on the pages: what the key message spares and what is still required."""
    if not covered:
        return _("Not reused verbatim from an approved key message: it needs the full review.")
    if not missing:
        return _(
            "Reused verbatim from an approved key message: %(covered)s is not needed; nothing else is required, "
            "it can be published."
        ) % {"covered": requirement_phrases(covered)}
    return _(
        "Reused verbatim from an approved key message: %(covered)s is not needed; "
        "%(missing)s is still required at severity %(severity)s."
    ) % {"covered": requirement_phrases(covered), "missing": requirement_phrases(missing), "severity": severity}


def planned_reuse(*, statement, key_message) -> dict:
    """Before saving: what a verbatim copy of ``key_message`` would be spared and still need.

    ``statement`` is the unsaved statement (its incident decides the requirements). The key message
    covers the requirements its own policy demanded and got (a usable key message has them all).
    """
    required = policy_for(statement).requirements(statement)
    lent = {requirement.code for requirement in policy_for(key_message).requirements(key_message)}
    covered = [r.code for r in required if r.code in lent]
    missing = [r.code for r in required if r.code not in lent]
    return {"covered": covered, "missing": missing, "severity": statement.incident.severity}


def actual_reuse(statement) -> dict | None:
    """After saving: the requirements the current revision's inherited approvals cover, and those missing.

    None when the current revision inherits nothing (written from scratch, or edited since).
    """
    if statement.from_key_message_id is None or statement.current_revision_id is None:
        return None
    policy = policy_for(statement)
    inherited = [
        decision
        for decision in approvals_of(statement, statement.current_revision)
        if decision.based_on_id is not None and policy.inherited_approval_valid(statement, decision)
    ]
    if not inherited:
        return None
    roles = {decision.role for decision in inherited}
    required = policy.requirements(statement)
    missing = {r.code for r in missing_requirements(statement, policy=policy)}
    return {
        "covered": [r.code for r in required if r.code in roles],
        "missing": [r.code for r in required if r.code in missing],
        "severity": statement.incident.severity,
    }


def log_reuse(*, statement, event) -> None:
    """The timeline entry of a pre-approval (the engine's PRE_APPROVE): which approval it spared, which remain."""
    reuse = actual_reuse(statement) or {"covered": [], "missing": [], "severity": statement.incident.severity}
    timeline.log(
        incident_id=statement.incident_id,
        kind=TimelineKind.STATEMENT,
        event=STATEMENT_REUSED_PENDING if reuse["missing"] else STATEMENT_REUSED_COMPLETE,
        params={"title": statement.title, **reuse, "comment": event.comment},
        actor=event.actor,
        data={
            "statement": statement.pk,
            "action": event.action,
            "from": event.from_state,
            "to": event.to_state,
            "revision": event.revision.number if event.revision else None,
            "audit_event": event.pk,
        },
    )
