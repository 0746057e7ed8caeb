"""Unhandled spike alerts where people look: ``{% unhandled_alert_count %}`` (the navigation badge)
and ``{% unhandled_alerts_card %}`` (the dashboard card with its actions).

The badge is one ``COUNT`` per request over the partial index of unhandled alerts, computed
once (the card reuses it); users who may not read alerts cost no query at all.
"""

from django import template

from incidents.listening.alerts import can_handle_alerts
from incidents.listening.models import Alert

register = template.Library()

# The dashboard card lists the newest few; the badge and the card's heading give the total.
CARD_ALERTS = 5


def _may_read_alerts(user) -> bool:
    return user is not None and user.is_authenticated and user.has_perm("incidents.view_alert")


@register.simple_tag(takes_context=True)
def unhandled_alert_count(context) -> int:
    """How many alerts the signed-in user may see and nobody has handled (0 for who may not read alerts)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not _may_read_alerts(user):
        return 0
    if not hasattr(request, "_unhandled_alert_count"):
        request._unhandled_alert_count = Alert.objects.visible_to(user).unhandled().count()
    return request._unhandled_alert_count


@register.inclusion_tag("mentions/partials/dashboard_alerts.html", takes_context=True)
def unhandled_alerts_card(context, groups=None) -> dict:
    """The newest unhandled alerts with their actions; ``groups`` (the dashboard's) are the incidents to attach to."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not _may_read_alerts(user):
        return {"alerts": []}
    alerts = list(Alert.objects.visible_to(user).unhandled().select_related("rule", "watch_term")[:CARD_ALERTS])
    if not alerts:
        return {"alerts": []}
    incidents = [incident for group in groups or [] for incident in group["incidents"]]
    return {
        "alerts": alerts,
        "total": unhandled_alert_count(context),
        "can_handle": can_handle_alerts(user),
        "attachable": incidents,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
