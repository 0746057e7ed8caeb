"""The measured impact of a published statement: mentions before and after it, in matched windows.

Which mentions count: the mentions linked to the statement's incident (``Mention.incident``),
the ones the crisis team triaged into it, and the ones the war room chart draws. Watch-term
matches that nobody linked are not counted: an unrelated post sharing a keyword would skew the
figures. Exercises are excluded: an exercise statement has no impact and exercise mentions never
count.

Windows around the publication time ``t``, for each width ``w``: before = [t − w, t),
after = [t, t + w). While the after-window has not fully elapsed, it ends at now and is marked
partial with the elapsed time: the figures are "so far", never extrapolated.

Per window: volume (mentions), reach (sum of the authors' audience sizes), negative share
(negative mentions / scored mentions; a mention without a sentiment score is left out of the
share, and counted in ``unscored``).

All windows of one statement are one aggregate query (conditional aggregation).
"""

from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from crisisdesk.review.models import ReviewStatus
from incidents.listening.models import Mention, Sentiment
from incidents.statements.models import Statement

WINDOWS = (timedelta(hours=2), timedelta(hours=6), timedelta(hours=24))


def _figures(row: dict, key: str) -> dict:
    volume = row[f"{key}_volume"] or 0
    scored = row[f"{key}_scored"] or 0
    negative = row[f"{key}_negative"] or 0
    return {
        "volume": volume,
        "reach": row[f"{key}_reach"] or 0,
        "negative": negative,
        "scored": scored,
        "unscored": volume - scored,
        "negative_share": round(negative / scored, 4) if scored else None,
        "negative_percent": round(100 * negative / scored) if scored else None,
    }


def impact_applies(statement: Statement) -> bool:
    """Impact is computed for published (or since withdrawn) statements of real incidents only."""
    return (
        statement.published_at is not None
        and statement.status in (ReviewStatus.PUBLISHED, ReviewStatus.WITHDRAWN)
        and not statement.incident.is_exercise
    )


def statement_impact(*, statement: Statement, now: datetime | None = None, windows=WINDOWS) -> dict | None:
    """Before/after figures of one statement for each window, or None when it has no impact (see module doc)."""
    if not impact_applies(statement):
        return None
    now = now or timezone.now()
    t = statement.published_at
    aggregates = {}
    spans = []
    for width in windows:
        hours = int(width.total_seconds() // 3600)
        after_end = min(t + width, now)
        for side, start, end in (("before", t - width, t), ("after", t, after_end)):
            key = f"{side}_{hours}h"
            in_window = Q(posted_at__gte=start, posted_at__lt=end)
            scored = in_window & Q(sentiment__isnull=False)
            aggregates[f"{key}_volume"] = Count("id", filter=in_window)
            aggregates[f"{key}_reach"] = Sum("audience", filter=in_window)
            aggregates[f"{key}_scored"] = Count("id", filter=scored)
            aggregates[f"{key}_negative"] = Count("id", filter=scored & Q(sentiment_label=Sentiment.NEGATIVE))
        spans.append((hours, width, after_end))
    widest = max(windows)
    row = Mention.objects.filter(
        incident_id=statement.incident_id,
        incident__is_exercise=False,
        posted_at__gte=t - widest,
        posted_at__lt=min(t + widest, now),
    ).aggregate(**aggregates)
    result = []
    for hours, width, after_end in spans:
        elapsed = max(after_end - t, timedelta(0))
        result.append(
            {
                "hours": hours,
                "before": {"start": t - width, "end": t, **_figures(row, f"before_{hours}h")},
                "after": {
                    "start": t,
                    "end": after_end,
                    "partial": elapsed < width,
                    "elapsed_minutes": int(elapsed.total_seconds() // 60),
                    **_figures(row, f"after_{hours}h"),
                },
            }
        )
    return {"statement": statement.pk, "published_at": t, "computed_at": now, "windows": result}


def incident_impact_markers(*, incident, now: datetime | None = None, hours: int = 2) -> list[dict]:
    """For the war room chart: each published statement with its before/after volume over ``hours`` (one query)."""
    if incident.is_exercise:
        return []
    now = now or timezone.now()
    width = timedelta(hours=hours)
    statements = list(
        incident.statements.filter(
            published_at__isnull=False, status__in=[ReviewStatus.PUBLISHED, ReviewStatus.WITHDRAWN]
        ).order_by("published_at")
    )
    if not statements:
        return []
    aggregates = {}
    for st in statements:
        t = st.published_at
        aggregates[f"b{st.pk}"] = Count("id", filter=Q(posted_at__gte=t - width, posted_at__lt=t))
        aggregates[f"a{st.pk}"] = Count("id", filter=Q(posted_at__gte=t, posted_at__lt=min(t + width, now)))
    row = Mention.objects.filter(incident_id=incident.pk).aggregate(**aggregates)
    return [
        {
            "statement": st,
            "published_at": st.published_at,
            "hours": hours,
            "before": row[f"b{st.pk}"],
            "after": row[f"a{st.pk}"],
            "partial": st.published_at + width > now,
        }
        for st in statements
    ]


def incident_measured_impact(*, incident) -> dict | None:
    """For the post-crisis review: reach, peak hourly volume and overall sentiment of the incident's mentions.

    Reach = sum of audience sizes of all linked mentions; peak = most mentions in one clock hour
    (UTC); sentiment = "negative" when at least half the scored mentions are negative, "positive"
    when at least half are positive, "mixed" otherwise, None when none is scored. Two queries.
    None for an exercise.
    """
    if incident.is_exercise:
        return None
    mentions = Mention.objects.filter(incident_id=incident.pk)
    totals = mentions.aggregate(
        reach=Sum("audience"),
        scored=Count("id", filter=Q(sentiment__isnull=False)),
        negative=Count("id", filter=Q(sentiment__isnull=False, sentiment_label=Sentiment.NEGATIVE)),
        positive=Count("id", filter=Q(sentiment__isnull=False, sentiment_label=Sentiment.POSITIVE)),
    )
    busiest = (
        mentions.annotate(hour=TruncHour("posted_at", tzinfo=UTC))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by("-n")[:1]
    )
    scored, negative, positive = totals["scored"], totals["negative"], totals["positive"]
    if not scored:
        sentiment = None
    elif 2 * negative >= scored:
        sentiment = "negative"
    elif 2 * positive >= scored:
        sentiment = "positive"
    else:
        sentiment = "mixed"
    return {
        "reach": totals["reach"] or 0,
        "peak_mentions": busiest[0]["n"] if busiest else 0,
        "sentiment": sentiment,
        "scored": scored,
    }
