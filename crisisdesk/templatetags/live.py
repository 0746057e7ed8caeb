"""``{% live_watch live_topics %}``: the element ``static/js/live.js`` reads to keep a page live (see crisisdesk.live)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from crisisdesk import live

register = template.Library()


@register.simple_tag(takes_context=True)
def live_watch(context, topics=None):
    """A hidden element with the signed topics (the page's, the user's own, alerts for the nav badge) and their ETag."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    watched = {live.user_topic(user), *(topics or ())}
    if user.has_perm("incidents.view_alert"):
        # The navigation's alert badge is on every page: keep it live too.
        watched.add(live.ALERTS)
    watched = sorted(watched)
    return format_html(
        '<div hidden id="cd-live" data-live-url="{}" data-live-topics="{}" data-live-etag="{}"></div>',
        reverse("live"),
        live.sign(user=user, topics=watched),
        live.etag(watched),
    )
