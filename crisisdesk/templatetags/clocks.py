"""Incident clocks for templates: durations as people say them ("2 h 15 min") and the three crisis timers."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """Render a timedelta compactly: "45 min", "2 h 15 min", "3 d 4 h"; negative spans count as zero."""
    if value is None:
        return ""
    minutes = max(int(value.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 60 * 24)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("< 1 min")


@register.filter
def since(value: datetime | None) -> str:
    """Time elapsed from ``value`` until now, as ``duration`` renders it."""
    if value is None:
        return ""
    return duration(timezone.now() - value)


@dataclass(frozen=True)
class Clock:
    """One crisis timer: its label, whether it has stopped, and the span it shows."""

    label: str
    done: bool
    span: timedelta
    at: datetime | None = None


CLOCK_LABELS = {
    "detected": gettext_lazy("Since detection"),
    "acknowledged": gettext_lazy("Acknowledged"),
    "first_response": gettext_lazy("First public response"),
}


def incident_clocks(incident, now: datetime | None = None) -> list[Clock]:
    """The three timers of an incident, measured from its detection.

    A stopped timer shows how long it took; a running one shows how long it has been waiting.
    Once an incident is resolved, time since detection stops at the resolution.
    """
    now = now or timezone.now()
    start = incident.detected_at
    end = incident.resolved_at or now
    clocks = [Clock(str(CLOCK_LABELS["detected"]), incident.resolved_at is not None, end - start, incident.resolved_at)]
    for key, stopped_at in (
        ("acknowledged", incident.acknowledged_at),
        ("first_response", incident.first_public_response_at),
    ):
        if stopped_at is not None:
            clocks.append(Clock(str(CLOCK_LABELS[key]), True, stopped_at - start, stopped_at))
        else:
            clocks.append(Clock(str(CLOCK_LABELS[key]), False, now - start))
    return clocks


@register.inclusion_tag("incidents/partials/clocks.html")
def clocks(incident, compact: bool = False) -> dict:
    """Render the incident's timers; ``compact`` for dashboard cards."""
    return {"clocks": incident_clocks(incident), "compact": compact, "incident": incident}
