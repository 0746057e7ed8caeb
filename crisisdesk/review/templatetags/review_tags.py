"""Template tags of the review workflow: the reviewer's queue count for the navigation bar, role names."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Names of the requirement codes a decision records (``ReviewDecision.role``).
ROLE_LABELS = {"legal": _("Legal"), "incident_lead": _("Incident lead")}
RETIRED = _("Retired")


@register.filter
def status_label(value: str, retire: bool = False) -> str:
    """The translated name of a review status code, as the audit trail stores it (``in_review`` → "In review").

    With ``retire`` (``{{ code|status_label:retire }}``), ``withdrawn`` reads "Retired".
    """
    from crisisdesk.review.models import ReviewStatus

    if retire and value == ReviewStatus.WITHDRAWN:
        return RETIRED
    return ReviewStatus(value).label if value in ReviewStatus.values else (value or "—")


@register.filter
def retires(item) -> bool:
    """Is withdrawing ``item`` called retiring it (key messages)? False without an item."""
    from crisisdesk.review.selectors import retires as withdrawing_retires

    return item is not None and item != "" and withdrawing_retires(item)


@register.filter
def item_status(item) -> str:
    """The translated name of an item's status; a withdrawn key message is "Retired"."""
    if retires(item) and item.status == "withdrawn":
        return RETIRED
    return item.get_status_display()


@register.filter
def role_label(code: str) -> str:
    """The translated name of an approval requirement code (``legal`` → "Legal")."""
    return ROLE_LABELS.get(code, code)


@register.simple_tag(takes_context=True)
def review_queue_count(context) -> int:
    """How many items wait for the signed-in user's decision (0 for anyone who reviews nothing).

    The same list as the queue, counted at most once per request (the queue page hands over the list
    it built) and kept in the shared cache until review state changes (``crisisdesk.review.queue_count``).
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if not hasattr(request, "_review_queue_count"):
        from crisisdesk.badges import badge_count
        from crisisdesk.review import queue_count
        from crisisdesk.review.selectors import OPEN_REVIEWS_BADGE, waiting_for

        # No open round at all (the badges' one query says so): nothing waits, no queue to build.
        if badge_count(request, OPEN_REVIEWS_BADGE) == 0:
            request._review_queue_count = 0
        else:
            request._review_queue_count = queue_count.cached_count(user, lambda: len(waiting_for(user)))
    return request._review_queue_count
