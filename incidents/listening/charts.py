"""Server-rendered charts of mention volume and negative share (plain SVG: no script, CSP-safe).

Each chart is a dict the ``mentions/partials/chart.html`` template draws: bars for volume, a
line for the negative share, and vertical markers for statement publish times (did our
statement calm things down?).
"""

from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from incidents.listening.models import Mention, MentionTerm

WIDTH, HEIGHT, PAD = 720, 220, 30


def _layout(buckets: list[dict], start: datetime, end: datetime, markers: list[tuple[datetime, str]]) -> dict:
    """Scale bucket counts and markers into SVG coordinates."""
    peak = max((b["count"] for b in buckets), default=0) or 1
    n = max(len(buckets), 1)
    slot = (WIDTH - 2 * PAD) / n
    bars, points = [], []
    for i, bucket in enumerate(buckets):
        height = (HEIGHT - 2 * PAD) * bucket["count"] / peak
        x = PAD + i * slot
        bars.append(
            {
                "x": round(x, 1),
                "y": round(HEIGHT - PAD - height, 1),
                "w": round(max(slot - 1, 1), 1),
                "h": round(height, 1),
                "label": f"{bucket['at']:%Y-%m-%d %H:%M}: {bucket['count']}",
            }
        )
        share = bucket["negative"] / bucket["count"] if bucket["count"] else 0
        points.append(f"{x + slot / 2:.1f},{HEIGHT - PAD - (HEIGHT - 2 * PAD) * share:.1f}")
    span = (end - start).total_seconds() or 1
    marks = [
        {"x": round(PAD + (WIDTH - 2 * PAD) * (at - start).total_seconds() / span, 1), "label": label}
        for at, label in markers
        if start <= at <= end
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "pad": PAD,
        "bars": bars,
        "line": " ".join(points),
        "markers": marks,
        "peak": peak,
        "start": start,
        "end": end,
        "total": sum(b["count"] for b in buckets),
        "baseline_y": HEIGHT - PAD,
    }


def _hourly(queryset, start: datetime, end: datetime, *, negative: Q) -> list[dict]:
    rows = (
        queryset.filter(posted_at__gte=start, posted_at__lt=end)
        .annotate(hour=TruncHour("posted_at"))
        .values("hour")
        .annotate(count=Count("id"), negative=Count("id", filter=negative))
        .order_by("hour")
    )
    by_hour = {row["hour"]: row for row in rows}
    hour = start.replace(minute=0, second=0, microsecond=0)
    buckets = []
    while hour < end:
        row = by_hour.get(hour, {})
        buckets.append({"at": hour, "count": row.get("count", 0), "negative": row.get("negative", 0)})
        hour += timedelta(hours=1)
    return buckets


def term_chart(*, term, hours: int = 48) -> dict:
    """The last ``hours`` hours of one watch term."""
    end = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    buckets = _hourly(MentionTerm.objects.filter(watch_term=term), start, end, negative=Q(negative=True))
    return _layout(buckets, start, end, [])


def incident_chart(*, incident, hours: int = 72) -> dict:
    """The mentions linked to an incident, around its detection, with statement publish times marked."""
    mentions = Mention.objects.filter(incident=incident)
    first = mentions.order_by("posted_at").values_list("posted_at", flat=True).first() or incident.detected_at
    start = min(first, incident.detected_at).replace(minute=0, second=0, microsecond=0)
    end = min(
        start + timedelta(hours=hours), timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    )
    end = max(end, start + timedelta(hours=1))
    buckets = _hourly(mentions, start, end, negative=Q(sentiment_label="negative"))
    markers = [
        (published_at, title)
        for title, published_at in incident.statements.filter(published_at__isnull=False).values_list(
            "title", "published_at"
        )
    ]
    return _layout(buckets, start, end, markers)


def svg_from_curve(curve: list[dict]) -> dict:
    """Lay out an alert's stored curve (ISO times) the same way."""
    if not curve:
        return _layout([], timezone.now(), timezone.now(), [])
    buckets = [{"at": datetime.fromisoformat(b["at"]), "count": b["count"], "negative": b["negative"]} for b in curve]
    step = buckets[1]["at"] - buckets[0]["at"] if len(buckets) > 1 else timedelta(minutes=5)
    return _layout(buckets, buckets[0]["at"], buckets[-1]["at"] + step, [])
