"""E-mail and in-app notifications of the review engine: reviewers when an item waits, authors when one decided.

E-mail is sent only after commit; notifications (``crisisdesk.notifications``) are rows written
in the transition's transaction: either way a rolled-back transition tells nobody anything.
Called by ``crisisdesk.review.services``; who may not review an item (its editors, four eyes)
is the engine's to say and is passed in.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from crisisdesk.notifications import kinds
from crisisdesk.notifications.messages import message
from crisisdesk.notifications.services import notify

from . import registry
from .models import Decision
from .policy import Requirement, ReviewPolicy

REVIEW_REQUESTED = "review.requested"
# A reviewer's decision, by ``Decision`` value.
DECIDED = {
    Decision.APPROVE: "review.approved",
    Decision.REQUEST_CHANGES: "review.changes_requested",
    Decision.REJECT: "review.rejected",
}


# The notification's sentence per decision (a past participle, unlike ``Decision``'s button labels).
_DECIDED_TEXT = {
    Decision.APPROVE: gettext_noop("Approved: %s"),
    Decision.REQUEST_CHANGES: gettext_noop("Changes requested: %s"),
    Decision.REJECT: gettext_noop("Rejected: %s"),
}


def register_kinds() -> None:
    """The review engine's notification kinds (``ReviewConfig.ready()``)."""
    kinds.register(REVIEW_REQUESTED, gettext_lazy("Review requested"))
    kinds.register(DECIDED[Decision.APPROVE], pgettext_lazy("notification kind", "Approved"))
    kinds.register(DECIDED[Decision.REQUEST_CHANGES], gettext_lazy("Changes requested"))
    kinds.register(DECIDED[Decision.REJECT], pgettext_lazy("notification kind", "Rejected"))


def _url(item, *, review: bool) -> str:
    try:
        kind = registry.kind_of(item)
    except LookupError:
        return ""
    return kind.review_url(item) if review else kind.url(item)


def send_after_commit(*, recipients, subject: str, body: str) -> None:
    """E-mail after commit: a rolled-back transition must not tell anyone anything."""
    addresses = sorted({user.email for user in recipients if getattr(user, "email", "") and user.is_active})
    if not addresses:
        return
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=True))


def notify_reviewers(policy: ReviewPolicy, item, missing: list[Requirement], *, editors: set[int]) -> None:
    """Tell whoever may give one of the ``missing`` approvals, except the item's ``editors``."""
    recipients = [
        user for requirement in missing for user in policy.reviewers(item, requirement) if user.pk not in editors
    ]
    notify(
        recipients=recipients,
        kind=REVIEW_REQUESTED,
        message=message(gettext_noop("Review requested: %s"), [policy.describe_message(item)]),
        url=_url(item, review=True),
        incident=policy.incident(item),
    )
    with translation.override(settings.LANGUAGE_CODE):  # e-mails: the site's language, not the author's
        send_after_commit(
            recipients=recipients,
            subject=_("Review requested: %s") % policy.describe(item),
            body=_("%s is waiting for your review in CrisisDesk.") % policy.describe(item),
        )


def notify_authors(policy: ReviewPolicy, item, *, decision: str, reviewer, comment: str) -> None:
    """Tell the item's author and the current revision's editor what ``reviewer`` decided."""
    revision = item.current_revision
    recipients = [item.created_by] + ([revision.created_by] if revision else [])
    notify(
        recipients=recipients,
        kind=DECIDED[decision],
        message=message(_DECIDED_TEXT[decision], [policy.describe_message(item)]),
        url=_url(item, review=False),
        incident=policy.incident(item),
        actor=reviewer,
    )
    with translation.override(settings.LANGUAGE_CODE):  # e-mails: the site's language, not the reviewer's
        send_after_commit(
            recipients=[user for user in recipients if user.pk != reviewer.pk],
            subject=_("%(decision)s: %(item)s") % {"decision": Decision(decision).label, "item": policy.describe(item)},
            body=_("%(reviewer)s decided: %(decision)s.\n\n%(comment)s")
            % {"reviewer": reviewer, "decision": Decision(decision).label, "comment": comment},
        )
