"""Template filters of post-crisis reviews and metrics."""

from django import template

from postmortems.metrics import format_duration

register = template.Library()


@register.filter
def seconds_duration(value) -> str:
    """Seconds (or a timedelta) as ``2 h 05 min``; "n/a" when unknown."""
    return format_duration(value)


@register.filter
def stat(group, metric: str):
    """``group.stats[metric]`` for templates."""
    return group.stats.get(metric)


@register.simple_tag(takes_context=True)
def overdue_action_items(context, limit: int = 10):
    """Open action items past their due date that the signed-in user may see (dashboard), earliest first."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    from postmortems.selectors import overdue_action_items as overdue

    return list(overdue(user).order_by("due_date", "priority", "id")[:limit])
