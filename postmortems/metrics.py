"""Crisis metrics: per-incident durations from its clocks, and their median / 90th percentile by severity and month.

Durations (``timedelta`` or ``None`` when a clock is missing):

- **time to detect**: ``detected_at`` − the review's ``first_seen_at`` (when the first post appeared),
  only when that is known;
- **time to acknowledge**: ``acknowledged_at`` − ``detected_at``;
- **time to first public response**: ``first_public_response_at`` − ``detected_at``;
- **time to resolve**: ``resolved_at`` − ``detected_at``;
- **time in legal review**: the sum, over the incident's statements' review rounds, of
  ``closed_at`` (or now, for a round still open) − ``submitted_at``. Statements are
  reviewed by Legal (plus the incident lead at severity 1), so this is the time public
  words waited for legal sign-off.

Percentiles use linear interpolation between closest ranks (the "inclusive" method: numpy's
default, Excel's ``PERCENTILE.INC``): for sorted values ``v[0..n-1]`` the p-th percentile is at
rank ``r = (n − 1)·p``, i.e. ``v[⌊r⌋] + (r − ⌊r⌋)·(v[⌊r⌋+1] − v[⌊r⌋])``. The median is p = 0.5
(the mean of the two middle values for an even count). Missing values are left out; an empty
set has no median (``None``, shown "n/a"). Exercises are excluded from the dashboard.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.review.models import ReviewRequest
from incidents.models import Incident, Severity
from incidents.statements.models import Statement

METRICS = (
    ("acknowledge", _("Time to acknowledge")),
    ("first_public_response", _("Time to first public response")),
    ("resolve", _("Time to resolve")),
    ("legal_review", _("Time in legal review")),
)


def percentile(values: list[float], p: float) -> float | None:
    """The ``p``-th percentile (0 ≤ p ≤ 1) by linear interpolation between closest ranks; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


def _delta(later: datetime | None, earlier: datetime | None) -> timedelta | None:
    if later is None or earlier is None:
        return None
    return later - earlier


def legal_review_times(incident_ids, *, now: datetime | None = None) -> dict[int, timedelta]:
    """Per incident id, the total time its statements spent waiting in review rounds (two queries)."""
    now = now or timezone.now()
    statement_incident = dict(Statement.objects.filter(incident_id__in=incident_ids).values_list("pk", "incident_id"))
    totals: dict[int, timedelta] = {}
    if not statement_incident:
        return totals
    rounds = ReviewRequest.objects.filter(
        content_type=ContentType.objects.get_for_model(Statement), object_id__in=list(statement_incident)
    ).values_list("object_id", "submitted_at", "closed_at")
    for object_id, submitted_at, closed_at in rounds:
        incident_id = statement_incident[object_id]
        totals[incident_id] = totals.get(incident_id, timedelta(0)) + ((closed_at or now) - submitted_at)
    return totals


def incident_metrics(incident: Incident, *, first_seen_at: datetime | None = None) -> dict[str, timedelta | None]:
    """The durations of one incident (see the module docstring); ``None`` where a clock is missing."""
    legal = legal_review_times([incident.pk]).get(incident.pk)
    return {
        "detect": _delta(incident.detected_at, first_seen_at),
        "acknowledge": _delta(incident.acknowledged_at, incident.detected_at),
        "first_public_response": _delta(incident.first_public_response_at, incident.detected_at),
        "resolve": _delta(incident.resolved_at, incident.detected_at),
        "legal_review": legal,
    }


@dataclass
class Stat:
    """Median and 90th percentile (in seconds) of one metric over one group of incidents."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: list[float]) -> "Stat":
        return cls(count=len(seconds), median=percentile(seconds, 0.5), p90=percentile(seconds, 0.9))

    def as_dict(self) -> dict:
        return {"count": self.count, "median_seconds": self.median, "p90_seconds": self.p90}


@dataclass
class Group:
    """One row of the dashboard: a severity or a month, how many incidents, and a Stat per metric."""

    key: str
    label: str
    incidents: int
    stats: dict[str, Stat] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": str(self.label),
            "incidents": self.incidents,
            "metrics": {name: stat.as_dict() for name, stat in self.stats.items()},
        }


def _group(key, label, rows: list[dict]) -> Group:
    stats = {}
    for name, _label in METRICS:
        seconds = [row[name].total_seconds() for row in rows if row[name] is not None]
        stats[name] = Stat.of(seconds)
    return Group(key=str(key), label=label, incidents=len(rows), stats=stats)


def can_view_metrics(user) -> bool:
    """Crisis metrics are for team leads (``view_crisis_metrics``) and administrators."""
    return user.is_authenticated and user.is_active and user.has_perm("postmortems.view_crisis_metrics")


def dashboard(user, *, year: int | None = None, now: datetime | None = None) -> dict:
    """Metrics over the non-exercise incidents ``user`` may see, overall, by severity and by month of detection.

    Three queries whatever the number of incidents; months are calendar months in UTC. Who may
    read them is decided here, once, for the browser page and the API alike.
    """
    if not can_view_metrics(user):
        raise PermissionDenied(_("You may not see crisis metrics."))
    incidents = Incident.objects.visible_to(user).filter(is_exercise=False)
    if year:
        incidents = incidents.filter(detected_at__year=year)
    fields = ("pk", "severity", "detected_at", "acknowledged_at", "first_public_response_at", "resolved_at")
    raw = list(incidents.order_by("detected_at", "pk").values_list(*fields))
    legal = legal_review_times([row[0] for row in raw], now=now)
    rows = []
    for pk, severity, detected_at, acknowledged_at, first_public_at, resolved_at in raw:
        rows.append(
            {
                "severity": severity,
                "month": detected_at.astimezone(UTC).strftime("%Y-%m"),
                "acknowledge": _delta(acknowledged_at, detected_at),
                "first_public_response": _delta(first_public_at, detected_at),
                "resolve": _delta(resolved_at, detected_at),
                "legal_review": legal.get(pk),
            }
        )
    by_severity = defaultdict(list)
    by_month = defaultdict(list)
    for row in rows:
        by_severity[row["severity"]].append(row)
        by_month[row["month"]].append(row)
    return {
        "metrics": METRICS,
        "overall": _group("all", _("All incidents"), rows),
        "by_severity": [
            _group(level, Severity(level).label, by_severity[level]) for level in Severity.values if by_severity[level]
        ],
        "by_month": [_group(month, month, by_month[month]) for month in sorted(by_month)],
    }


def dashboard_json(data: dict) -> dict:
    """The dashboard as JSON-ready data (seconds, counts), for the API."""
    return {
        "percentile_method": "linear interpolation between closest ranks (numpy default, PERCENTILE.INC)",
        "exercises_excluded": True,
        "metrics": {name: str(label) for name, label in data["metrics"]},
        "overall": data["overall"].as_dict(),
        "by_severity": [group.as_dict() for group in data["by_severity"]],
        "by_month": [group.as_dict() for group in data["by_month"]],
    }


def format_duration(seconds: float | timedelta | None) -> str:
    """``2 h 05 min``, ``3 d 4 h``, ``12 min``; "n/a" when unknown."""
    if seconds is None:
        return str(_("n/a"))
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
