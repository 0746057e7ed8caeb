"""The bell's unread count on every page: one COUNT query, only for a signed-in user."""

from django.utils.functional import SimpleLazyObject

from .models import Notification


def unread_notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: a page that never shows the bell (a redirect, JSON) pays nothing.
    return {"unread_notifications": SimpleLazyObject(lambda: Notification.objects.visible_to(user).unread().count())}
