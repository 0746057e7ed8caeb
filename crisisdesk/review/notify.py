"""E-mail of the review engine: reviewers when an item waits for them, authors when a reviewer decided.

Sent only after commit, so a rolled-back transition tells nobody anything. Called by
``crisisdesk.review.services``; who may not review an item (its editors, four eyes) is the
engine's to say and is passed in.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Decision
from .policy import Requirement, ReviewPolicy


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
    send_after_commit(
        recipients=recipients,
        subject=_("Review requested: %s") % policy.describe(item),
        body=_("%s is waiting for your review in CrisisDesk.") % policy.describe(item),
    )


def notify_authors(policy: ReviewPolicy, item, *, decision: str, reviewer, comment: str) -> None:
    """Tell the item's author and the current revision's editor what ``reviewer`` decided."""
    revision = item.current_revision
    recipients = [item.created_by] + ([revision.created_by] if revision else [])
    send_after_commit(
        recipients=[user for user in recipients if user.pk != reviewer.pk],
        subject=_("%(decision)s: %(item)s") % {"decision": Decision(decision).label, "item": policy.describe(item)},
        body=_("%(reviewer)s decided: %(decision)s.\n\n%(comment)s")
        % {"reviewer": reviewer, "decision": Decision(decision).label, "comment": comment},
    )
