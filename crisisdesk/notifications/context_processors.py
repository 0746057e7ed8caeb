"""The bell's unread count on every page, only for a signed-in user: one of the badges ``crisisdesk.badges`` counts in one query."""

from django.utils.functional import SimpleLazyObject

from crisisdesk.badges import badge_count

from .models import Notification

BADGE = "unread_notifications"


def unread_for(user):
    """The notifications the bell counts (registered as a badge in ``NotificationsConfig.ready``)."""
    return Notification.objects.visible_to(user).unread()


def unread_notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: a page that never shows the bell (a redirect, JSON) pays nothing.
    return {"unread_notifications": SimpleLazyObject(lambda: badge_count(request, BADGE))}
