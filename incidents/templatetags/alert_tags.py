"""Unhandled spike alerts where people look: ``{% unhandled_alert_count %}`` (the navigation badge)
and ``{% unhandled_alerts_card %}`` (the dashboard card with its actions).

The badge is a ``COUNT`` over the partial index of unhandled alerts, computed once per request
with the other navigation badges (``crisisdesk.badges``; the card reuses it); users who may not
read alerts add nothing to that query.
"""

from django import template

from crisisdesk.badges import badge_count
from incidents.listening.alerts import can_handle_alerts
from incidents.listening.models import Alert

register = template.Library()

# The navigation badge's name among the badges counted in one query (crisisdesk.badges).
BADGE = "unhandled_alerts"

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
    return badge_count(request, BADGE)


def unhandled_alerts_for(user):
    """The alerts the badge counts, ``None`` for who may not read alerts (registered in ``IncidentsConfig.ready``)."""
    return Alert.objects.visible_to(user).unhandled() if _may_read_alerts(user) else None


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
