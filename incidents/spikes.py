"""Spike detection: compare a watch term's last window with the same window on past days.

``spikes_evaluate(term_ids=…)`` is run by the worker right after mentions of those terms are
stored (and by beat every minute as a safety net). A rule fires at most once per cool-down:
its row is locked while it is evaluated, so two workers cannot both fire it.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.webhooks import emit

from .models import ACTIVE_STATUSES, Alert, Category, Mention, MentionTerm, SpikeAction, SpikeRule

logger = logging.getLogger(__name__)

CURVE_BUCKETS = 12
EVIDENCE_MENTIONS = 20


def window_stats(*, term_id: int, start: datetime, end: datetime, baseline_days: int) -> dict:
    """Counts and negative counts in the window and in the same window on each of the past days (one query)."""
    aggregates = {}
    ranges = Q()
    for day in range(baseline_days + 1):
        shifted = Q(posted_at__gt=start - timedelta(days=day), posted_at__lte=end - timedelta(days=day))
        ranges |= shifted
        aggregates[f"n{day}"] = Count("id", filter=shifted)
        aggregates[f"neg{day}"] = Count("id", filter=shifted & Q(negative=True))
    # Only the windows themselves are read (an OR of index ranges), not the whole baseline period.
    row = MentionTerm.objects.filter(ranges, watch_term_id=term_id).aggregate(**aggregates)
    base_n = sum(row[f"n{d}"] for d in range(1, baseline_days + 1))
    base_neg = sum(row[f"neg{d}"] for d in range(1, baseline_days + 1))
    count = row["n0"]
    return {
        "count": count,
        "negative": row["neg0"],
        "negative_share": row["neg0"] / count if count else 0.0,
        "baseline": base_n / baseline_days,
        "baseline_negative_share": base_neg / base_n if base_n else 0.0,
    }


def is_spike(rule: SpikeRule, stats: dict) -> bool:
    if stats["count"] < rule.min_count:
        return False
    # A term that was silent has a baseline of 0: one mention then counts as the baseline.
    volume = stats["count"] >= rule.volume_factor * max(stats["baseline"], 1.0)
    tone = stats["negative_share"] - stats["baseline_negative_share"] >= rule.negative_share_rise
    return volume or tone


def _curve(*, term_id: int, start: datetime, end: datetime) -> list[dict]:
    """Mentions and negative mentions per bucket over the window and the one before it (for the alert page)."""
    span = (end - start) * 2 / CURVE_BUCKETS
    origin = end - span * CURVE_BUCKETS
    rows = MentionTerm.objects.filter(watch_term_id=term_id, posted_at__gt=origin, posted_at__lte=end).values_list(
        "posted_at", "negative"
    )
    buckets = [{"at": (origin + span * i).isoformat(), "count": 0, "negative": 0} for i in range(CURVE_BUCKETS)]
    for posted_at, negative in rows:
        index = min(int((posted_at - origin) / span), CURVE_BUCKETS - 1)
        buckets[index]["count"] += 1
        buckets[index]["negative"] += int(negative)
    return buckets


@transaction.atomic
def rule_evaluate(*, rule: SpikeRule, now: datetime | None = None) -> Alert | None:
    """Evaluate one rule now; fire (alert, webhook, incident) when it spikes and is not cooling down."""
    now = now or timezone.now()
    # Locked: a second worker evaluating the same rule waits, then sees last_fired_at and stays quiet.
    # of=self: PostgreSQL cannot lock the nullable side of the outer joins (attach_to, created_by).
    rule = (
        SpikeRule.objects.select_for_update(of=("self",))
        .select_related("watch_term", "attach_to", "created_by")
        .get(pk=rule.pk)
    )
    if not rule.active:
        return None
    if rule.last_fired_at and now - rule.last_fired_at < timedelta(minutes=rule.cooldown_minutes):
        return None
    start = now - timedelta(minutes=rule.window_minutes)
    stats = window_stats(term_id=rule.watch_term_id, start=start, end=now, baseline_days=rule.baseline_days)
    if not is_spike(rule, stats):
        return None
    sample = list(
        Mention.objects.filter(
            term_matches__watch_term_id=rule.watch_term_id, posted_at__gt=start, posted_at__lte=now
        ).order_by("sentiment", "-audience")[:EVIDENCE_MENTIONS]
    )
    alert = Alert.objects.create(
        rule=rule,
        watch_term=rule.watch_term,
        fired_at=now,
        window_start=start,
        window_end=now,
        count=stats["count"],
        baseline=stats["baseline"],
        negative_share=stats["negative_share"],
        baseline_negative_share=stats["baseline_negative_share"],
        evidence={
            "mention_ids": [m.pk for m in sample],
            "curve": _curve(term_id=rule.watch_term_id, start=start, end=now),
        },
    )
    rule.last_fired_at = now
    rule.save(update_fields=["last_fired_at"])
    alert.incident = _act(rule=rule, alert=alert, sample=sample)
    if alert.incident is not None:
        alert.save(update_fields=["incident"])
    emit(event_type="alert.fired", payload=alert_data(alert), incident=alert.incident)
    return alert


def _act(*, rule: SpikeRule, alert: Alert, sample: list[Mention]):
    """Open or attach to an incident as the rule says; returns it (or None)."""
    from . import services

    incident = None
    if rule.action == SpikeAction.ATTACH and rule.attach_to is not None and rule.attach_to.status in ACTIVE_STATUSES:
        incident = rule.attach_to
    elif rule.action in (SpikeAction.OPEN_INCIDENT, SpikeAction.ATTACH) and rule.created_by is not None:
        # The rule's author opens it: an incident always has a person accountable for opening it.
        incident = services.incident_open(
            actor=rule.created_by,
            title=_("Spike of mentions: %(term)s") % {"term": rule.watch_term.term},
            summary=_("%(count)d mentions in %(minutes)d minutes (baseline %(baseline).1f), %(share).0f%% negative.")
            % {
                "count": alert.count,
                "minutes": rule.window_minutes,
                "baseline": alert.baseline,
                "share": alert.negative_share * 100,
            },
            category=Category.VIRAL_COMPLAINT,
            source=_("Spike rule “%(rule)s”") % {"rule": rule.name},
            detected_at=alert.fired_at,
        )
    if incident is None:
        return None
    if rule.created_by is not None:
        services.timeline_add_note(
            actor=rule.created_by,
            incident=incident,
            body=_("Spike alert: %(count)d mentions of “%(term)s” in the last %(minutes)d minutes.")
            % {"count": alert.count, "term": rule.watch_term.term, "minutes": rule.window_minutes},
        )
    Mention.objects.filter(pk__in=[m.pk for m in sample], incident__isnull=True).update(incident=incident)
    return incident


def alert_data(alert: Alert) -> dict:
    return {
        "alert": alert.pk,
        "rule": alert.rule.name,
        "watch_term": alert.watch_term.term,
        "fired_at": alert.fired_at.isoformat(),
        "count": alert.count,
        "baseline": alert.baseline,
        "negative_share": round(alert.negative_share, 3),
        "incident": alert.incident.reference if alert.incident else None,
    }


def spikes_evaluate(*, term_ids: list[int] | None = None, now: datetime | None = None) -> list[Alert]:
    """Evaluate the active rules of these terms (all active rules when None); returns the alerts fired."""
    rules = SpikeRule.objects.filter(active=True)
    if term_ids is not None:
        rules = rules.filter(watch_term_id__in=term_ids)
    alerts = []
    for rule in rules:
        try:
            alert = rule_evaluate(rule=rule, now=now)
        except Exception:
            # One broken rule (its author lost the right to open incidents…) must not silence the others.
            logger.exception("spike rule %s failed", rule.pk)
            continue
        if alert is not None:
            alerts.append(alert)
    return alerts
