"""Spike detection: compare a watch term's window of mentions with its baseline.

The baseline is the same window on each of the past ``baseline_days`` days. A term does not
have that history on its first days (or when a monitoring tool replays a crisis it recorded);
until it does, the ``recent_windows`` windows just before serve as the baseline. A reference
window only counts when the term was already being listened to (its creation or first match):
before that, "no mentions" means "not recorded", not "quiet". With no reference window at all
the rule is still learning and does not fire.

Rules are evaluated in *data time*: ``rule_evaluate`` steps through the times the newly
matched mentions were posted (every quarter window, from the earliest to the latest), then
``now``. So a crisis replayed through the bulk API with hours of past timestamps fires at the
spike, not at the end of the replay or never; and a live stream, whose mentions are seconds
old, is evaluated at ``now``. ``evaluated_through`` (the last matched-mention row seen) keeps
a rule from stepping through the same mentions twice; a new rule starts at the newest row, so
it does not fire about spikes that were over before it existed.

``spikes_evaluate(term_ids=…)`` is run by the worker right after mentions of those terms are
stored (and by beat every minute as a safety net). A rule fires at most once per cool-down
(measured between window ends): its row is locked while it is evaluated, so two workers cannot
both fire it.
"""

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from crisisdesk import live
from crisisdesk.notifications import kinds as notification_kinds
from crisisdesk.notifications.messages import message
from crisisdesk.notifications.services import notify
from crisisdesk.roles import TEAM_LEAD
from crisisdesk.webhooks import emit
from incidents import hooks, timeline
from incidents.listening.models import Alert, AlertHandling, Mention, MentionTerm, SpikeAction, SpikeRule
from incidents.models import ACTIVE_STATUSES

logger = logging.getLogger(__name__)

SPIKE_ALERT_NOTE = timeline.event(
    "listening.spike_alert",
    gettext_lazy("Spike alert: %(count)d mentions of “%(term)s” in the last %(minutes)d minutes."),
)

CURVE_BUCKETS = 12
EVIDENCE_MENTIONS = 20
# Evaluation points per window (a spike shorter than a window is still seen whole by one of them).
STEPS_PER_WINDOW = 4
# At most this many points per evaluation: a first evaluation over weeks of backfill looks at
# the most recent ones only (two days of a one-hour window).
MAX_POINTS = 192


@dataclass(frozen=True)
class Reference:
    """One window the current one is compared with."""

    key: str
    start: datetime
    end: datetime


def references(*, start: datetime, end: datetime, baseline_days: int, recent_windows: int) -> list[Reference]:
    """The same window on each past day (``day…``), then the windows just before (``prev…``)."""
    width = end - start
    refs = [
        Reference(f"day{d}", start - timedelta(days=d), end - timedelta(days=d)) for d in range(1, baseline_days + 1)
    ]
    refs += [Reference(f"prev{k}", start - width * k, end - width * k) for k in range(1, recent_windows + 1)]
    return refs


def window_stats(
    *,
    term_id: int,
    start: datetime,
    end: datetime,
    baseline_days: int,
    recent_windows: int = 0,
    listening_since: datetime | None = None,
) -> dict:
    """Counts and negative counts in the window and its reference windows (one query).

    ``baseline`` is the mean count of the past days' windows recorded since ``listening_since``,
    or, when none was, of the recent windows recorded since then; ``None`` when neither was.
    """
    refs = references(start=start, end=end, baseline_days=baseline_days, recent_windows=recent_windows)
    aggregates = {}
    ranges = Q()
    for ref in [Reference("now", start, end), *refs]:
        shifted = Q(posted_at__gt=ref.start, posted_at__lte=ref.end)
        ranges |= shifted
        aggregates[f"n_{ref.key}"] = Count("id", filter=shifted)
        aggregates[f"neg_{ref.key}"] = Count("id", filter=shifted & Q(negative=True))
    # Only the windows themselves are read (an OR of index ranges), not the whole baseline period.
    row = MentionTerm.objects.filter(ranges, watch_term_id=term_id).aggregate(**aggregates)
    recorded = [r for r in refs if listening_since is None or r.start >= listening_since]
    used = [r for r in recorded if r.key.startswith("day")] or [r for r in recorded if r.key.startswith("prev")]
    count = row["n_now"]
    stats = {
        "count": count,
        "negative": row["neg_now"],
        "negative_share": row["neg_now"] / count if count else 0.0,
        "baseline": None,
        "baseline_negative_share": 0.0,
        "baseline_windows": [r.key for r in used],
    }
    if used:
        base_n = sum(row[f"n_{r.key}"] for r in used)
        base_neg = sum(row[f"neg_{r.key}"] for r in used)
        stats["baseline"] = base_n / len(used)
        stats["baseline_negative_share"] = base_neg / base_n if base_n else 0.0
    return stats


def window_counts(*, term_id: int, ends: list[datetime], width: timedelta) -> list[int]:
    """How many mentions each window ``(end - width, end]`` holds: one query for every point of an evaluation."""
    if not ends:
        return []
    aggregates = {
        f"n{i}": Count("id", filter=Q(posted_at__gt=end - width, posted_at__lte=end)) for i, end in enumerate(ends)
    }
    row = MentionTerm.objects.filter(
        watch_term_id=term_id, posted_at__gt=min(ends) - width, posted_at__lte=max(ends)
    ).aggregate(**aggregates)
    return [row[f"n{i}"] for i in range(len(ends))]


def is_spike(rule: SpikeRule, stats: dict) -> bool:
    if stats["baseline"] is None or stats["count"] < rule.min_count:
        # No recorded reference window yet: the rule is learning what normal looks like.
        return False
    # A term that was silent has a baseline of 0: one mention then counts as the baseline.
    volume = stats["count"] >= rule.volume_factor * max(stats["baseline"], 1.0)
    tone = stats["negative_share"] - stats["baseline_negative_share"] >= rule.negative_share_rise
    return volume or tone


def listening_since(rule: SpikeRule) -> datetime:
    """Since when the term's mentions are recorded: its creation, or its earliest match if older (a backfill)."""
    first = MentionTerm.objects.filter(watch_term_id=rule.watch_term_id).aggregate(first=Min("posted_at"))["first"]
    created = rule.watch_term.created_at
    return min(first, created) if first else created


def evaluation_points(*, rule: SpikeRule, low: datetime | None, high: datetime | None, now: datetime) -> list[datetime]:
    """Window ends to evaluate: each quarter window across the new mentions' times, their latest, and now."""
    points = []
    if low is not None and high is not None:
        high = min(high, now)
        step = timedelta(minutes=rule.window_minutes) / STEPS_PER_WINDOW
        seconds = step.total_seconds()
        # Aligned on the epoch, so the same data always gives the same points (and alerts).
        point = datetime.fromtimestamp(math.ceil(low.timestamp() / seconds) * seconds, tz=UTC)
        while point < high:
            points.append(point)
            point += step
        points.append(high)
    points.append(now)
    points = sorted(set(points))
    return points[-MAX_POINTS:]


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
def rule_evaluate(*, rule: SpikeRule, now: datetime | None = None) -> list[Alert]:
    """Evaluate one rule over its newly matched mentions and at ``now``; returns the alerts it fired."""
    now = now or timezone.now()
    # Locked: a second worker evaluating the same rule waits, then sees the advanced
    # evaluated_through and last_fired_at and stays quiet.
    # of=self: PostgreSQL cannot lock the nullable side of the outer joins (attach_to, created_by).
    rule = (
        SpikeRule.objects.select_for_update(of=("self",))
        .select_related("watch_term", "attach_to", "created_by")
        .get(pk=rule.pk)
    )
    if not rule.active:
        return []
    new = MentionTerm.objects.filter(watch_term_id=rule.watch_term_id, pk__gt=rule.evaluated_through).aggregate(
        low=Min("posted_at"), high=Max("posted_at"), last=Max("pk")
    )
    width = timedelta(minutes=rule.window_minutes)
    cooldown = timedelta(minutes=rule.cooldown_minutes)
    since = None
    alerts = []
    if new["low"] is not None:
        # Late mentions of a window that already fired: that alert's figures are brought up to date.
        alerts_refresh(rule=rule, low=new["low"], high=new["high"], now=now)
    points = evaluation_points(rule=rule, low=new["low"], high=new["high"], now=now)
    counts = window_counts(term_id=rule.watch_term_id, ends=points, width=width)
    for end, count in zip(points, counts, strict=True):
        if count < rule.min_count:
            continue  # too few mentions to fire, whatever the baseline: no need to read it
        if rule.last_fired_at and (end <= rule.last_fired_at or end - rule.last_fired_at < cooldown):
            continue
        since = since or listening_since(rule)
        stats = window_stats(
            term_id=rule.watch_term_id,
            start=end - width,
            end=end,
            baseline_days=rule.baseline_days,
            recent_windows=rule.recent_windows,
            listening_since=since,
        )
        if is_spike(rule, stats):
            alerts.append(_fire(rule=rule, stats=stats, start=end - width, end=end, now=now))
            rule.last_fired_at = end
    if new["last"] is not None:
        rule.evaluated_through = new["last"]
    if alerts or new["last"] is not None:
        # Nothing new and nothing fired (a live term between batches): no write, no row version.
        rule.save(update_fields=["last_fired_at", "evaluated_through"])
    return alerts


def _sample(*, rule: SpikeRule, start: datetime, end: datetime) -> list[Mention]:
    """The window's most hostile and widest-read mentions: the alert's evidence."""
    return list(
        Mention.objects.filter(
            term_matches__watch_term_id=rule.watch_term_id, posted_at__gt=start, posted_at__lte=end
        ).order_by("sentiment", "-audience")[:EVIDENCE_MENTIONS]
    )


def alerts_refresh(*, rule: SpikeRule, low: datetime, high: datetime, now: datetime) -> list[Alert]:
    """Recompute the figures of this rule's alerts whose window holds newly arrived mentions.

    A monitoring tool may deliver a window's mentions after the alert on it fired (a batch delayed,
    a replay): the alert's count, tone, baseline, curve and sample then follow the data. The
    figures it fired with stay in ``evidence["fired_with"]``, ``evidence["late_mentions"]`` says
    how many came after, ``evidence["recomputed_at"]`` when. What the alert did (the incident it
    opened, the e-mail it sent) is not done again. Called under the rule's lock.
    """
    refreshed = []
    since = None
    # A window (start, end] holds a mention posted in [low, high] when it ends at or after low and starts before high.
    for alert in Alert.objects.filter(rule=rule, window_end__gte=low, window_start__lt=high).order_by("pk"):
        since = since or listening_since(rule)
        stats = window_stats(
            term_id=rule.watch_term_id,
            start=alert.window_start,
            end=alert.window_end,
            baseline_days=rule.baseline_days,
            recent_windows=rule.recent_windows,
            listening_since=since,
        )
        baseline = stats["baseline"] if stats["baseline"] is not None else alert.baseline
        figures = (stats["count"], baseline, stats["negative_share"], stats["baseline_negative_share"])
        if figures == (alert.count, alert.baseline, alert.negative_share, alert.baseline_negative_share):
            continue
        evidence = dict(alert.evidence or {})
        fired_with = evidence.setdefault(
            "fired_with",
            {
                "count": alert.count,
                "baseline": alert.baseline,
                "negative_share": alert.negative_share,
                "baseline_negative_share": alert.baseline_negative_share,
            },
        )
        sample = _sample(rule=rule, start=alert.window_start, end=alert.window_end)
        evidence.update(
            mention_ids=[m.pk for m in sample],
            curve=_curve(term_id=rule.watch_term_id, start=alert.window_start, end=alert.window_end),
            baseline_windows=stats["baseline_windows"],
            late_mentions=max(stats["count"] - fired_with["count"], 0),
            recomputed_at=now.isoformat(),
        )
        alert.count, alert.baseline, alert.negative_share, alert.baseline_negative_share = figures
        alert.evidence = evidence
        alert.save(update_fields=["count", "baseline", "negative_share", "baseline_negative_share", "evidence"])
        refreshed.append(alert)
    if refreshed:
        live.touch(live.ALERTS)
    return refreshed


def _fire(*, rule: SpikeRule, stats: dict, start: datetime, end: datetime, now: datetime) -> Alert:
    """Record the alert with its evidence, act on it (incident), and announce it (``alert.fired``)."""
    sample = _sample(rule=rule, start=start, end=end)
    alert = Alert.objects.create(
        rule=rule,
        watch_term=rule.watch_term,
        fired_at=now,
        window_start=start,
        window_end=end,
        count=stats["count"],
        baseline=stats["baseline"],
        negative_share=stats["negative_share"],
        baseline_negative_share=stats["baseline_negative_share"],
        evidence={
            "mention_ids": [m.pk for m in sample],
            "curve": _curve(term_id=rule.watch_term_id, start=start, end=end),
            "baseline_windows": stats["baseline_windows"],
        },
    )
    alert.incident = _act(rule=rule, alert=alert, sample=sample)
    if alert.incident is not None:
        # The rule acted on it: nobody has to handle it on the dashboard (its author is accountable).
        attached = alert.incident_id == rule.attach_to_id
        alert.handling = AlertHandling.ATTACHED if attached else AlertHandling.OPENED
        alert.handled_at = now
        alert.handled_by = rule.created_by
        alert.save(update_fields=["incident", "handling", "handled_at", "handled_by"])
    emit(event_type="alert.fired", payload=alert_data(alert), incident=alert.incident)
    _notify(alert)
    _notify_in_app(alert)
    live.touch(live.ALERTS, live.incident_topic(alert.incident) if alert.incident is not None else "")
    return alert


ALERT_FIRED = "alert.fired"


def register_notification_kinds() -> None:
    """Listening's notification kinds (``IncidentsConfig.ready()``)."""
    notification_kinds.register(ALERT_FIRED, gettext_lazy("Spike alert"))


def alert_notification_recipients(alert: Alert) -> list:
    """Who is told in the app: the team leads, the rule's author and whoever is on duty, each only if they may see it."""
    users = get_user_model().objects.filter(is_active=True)
    on_duty = [user.pk for user in hooks.on_duty_users()]
    candidates = users.filter(Q(groups__name=TEAM_LEAD) | Q(pk=alert.rule.created_by_id) | Q(pk__in=on_duty)).distinct()
    visible = Alert.objects.filter(pk=alert.pk)
    return [user for user in candidates if visible.visible_to(user).exists()]


def _notify_in_app(alert: Alert) -> None:
    values = {"term": alert.watch_term.term, "count": alert.count}
    text = message(gettext_noop("Spike alert: “%(term)s”, %(count)d mentions"), values)
    if alert.incident is not None:
        values["reference"] = alert.incident.reference
        text = message(gettext_noop("Spike alert: “%(term)s”, %(count)d mentions (%(reference)s)"), values)
    notify(
        recipients=alert_notification_recipients(alert),
        kind=ALERT_FIRED,
        message=text,
        url=reverse("mentions:alert", args=[alert.pk]),
        incident=alert.incident,
    )


def alert_recipients(alert: Alert) -> list:
    """Who is e-mailed: the team leads and the rule's author, each only if they may see the alert."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    candidates = users.filter(Q(groups__name=TEAM_LEAD) | Q(pk=alert.rule.created_by_id)).distinct()
    # A rule attached to a confidential incident must not tell a team lead outside its team about it.
    return [user for user in candidates if Alert.objects.visible_to(user).filter(pk=alert.pk).exists()]


def _notify(alert: Alert) -> None:
    """E-mail the alert after commit (a rolled-back evaluation told nobody anything)."""
    addresses = sorted(user.email for user in alert_recipients(alert))
    if not addresses:
        return
    subject = _("Spike alert: “%(term)s”, %(count)d mentions") % {"term": alert.watch_term.term, "count": alert.count}
    lines = [
        _(
            "%(count)d mentions of “%(term)s” between %(start)s and %(end)s (baseline %(baseline).1f), %(share).0f%% negative."
        )
        % {
            "count": alert.count,
            "term": alert.watch_term.term,
            "start": f"{alert.window_start:%Y-%m-%d %H:%M} UTC",
            "end": f"{alert.window_end:%H:%M}",
            "baseline": alert.baseline,
            "share": alert.negative_share * 100,
        },
        _("Evidence: %(path)s") % {"path": reverse("mentions:alert", args=[alert.pk])},
    ]
    if alert.incident is not None:
        lines.append(
            _("Incident: %(reference)s “%(title)s”")
            % {"reference": alert.incident.reference, "title": alert.incident.title}
        )
    body = "\n".join(lines)
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=True))


def _act(*, rule: SpikeRule, alert: Alert, sample: list[Mention]):
    """Open or attach to an incident as the rule says; returns it (or None)."""
    from incidents import services

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
            category=rule.default_category,
            severity=rule.default_severity,
            source=_("Spike rule “%(rule)s”") % {"rule": rule.name},
            # When the spike happened (its window's end), which for a replay is before now.
            detected_at=alert.window_end,
        )
    if incident is None:
        return None
    if rule.created_by is not None:
        services.timeline_add_note(
            actor=rule.created_by,
            incident=incident,
            event=SPIKE_ALERT_NOTE,
            params={"count": alert.count, "term": rule.watch_term.term, "minutes": rule.window_minutes},
        )
    Mention.objects.filter(pk__in=[m.pk for m in sample], incident__isnull=True).update(incident=incident)
    return incident


def alert_data(alert: Alert) -> dict:
    return {
        "alert": alert.pk,
        "rule": alert.rule.name,
        "watch_term": alert.watch_term.term,
        "fired_at": alert.fired_at.isoformat(),
        "window_start": alert.window_start.isoformat(),
        "window_end": alert.window_end.isoformat(),
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
            alerts += rule_evaluate(rule=rule, now=now)
        except Exception:
            # One broken rule (its author lost the right to open incidents…) must not silence the others.
            logger.exception("spike rule %s failed", rule.pk)
    return alerts
