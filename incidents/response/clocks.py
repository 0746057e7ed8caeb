"""Response clocks against per-severity targets: the read side the war room, dashboard, API and reminders share.

Three clocks run on an active incident, each against its severity's ``ResponseTarget``:

* **acknowledge** — from detection until someone acknowledges the incident;
* **first public response** — from detection until the first statement is published;
* **public update** — once the public has heard from us, the next update is due
  ``update_interval_minutes`` after the last published statement, for as long as the
  cadence lasts (``update_window_minutes`` after detection). Internal timeline notes
  do not reset it: the cadence is a promise to the public, kept only by publishing.

A clock is *due soon* from ``RESPONSE_DUE_SOON_PERCENT`` (75 %) of its target and
*overdue* past 100 %. Nothing here writes: the targets are changed and the reminders
sent by ``incidents.response.services``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy

from incidents.models import Incident
from incidents.response.models import ReminderClock, ReminderStage, ResponseTarget
from incidents.statements.models import Statement

TARGET_LABELS = {
    ReminderClock.ACKNOWLEDGE: gettext_lazy("Acknowledge"),
    ReminderClock.FIRST_RESPONSE: gettext_lazy("First public response"),
    ReminderClock.UPDATE: gettext_lazy("Next public update"),
}


def due_soon_fraction() -> float:
    return getattr(settings, "RESPONSE_DUE_SOON_PERCENT", 75) / 100


@dataclass(frozen=True)
class ResponseClock:
    """One response timer of one incident, measured at ``now``."""

    code: str
    started_at: datetime
    target: timedelta
    now: datetime
    met_at: datetime | None = None
    #: The update cadence restarts at every publication; this names the cycle for reminders.
    cycle: str = ""

    @property
    def label(self) -> str:
        return str(TARGET_LABELS[self.code])

    @property
    def due_at(self) -> datetime:
        return self.started_at + self.target

    @property
    def met(self) -> bool:
        return self.met_at is not None

    @property
    def met_late(self) -> bool:
        return self.met_at is not None and self.met_at > self.due_at

    @property
    def remaining(self) -> timedelta:
        """Time left before the target (zero or negative once it passed)."""
        return self.due_at - self.now

    @property
    def overdue_by(self) -> timedelta:
        return self.now - self.due_at

    @property
    def elapsed_fraction(self) -> float:
        return (self.now - self.started_at) / self.target

    @property
    def stage(self) -> str | None:
        """``due_soon``, ``overdue`` or None for a running clock; always None once met."""
        if self.met:
            return None
        if self.now >= self.due_at:
            return ReminderStage.OVERDUE
        if self.elapsed_fraction >= due_soon_fraction():
            return ReminderStage.DUE_SOON
        return None

    @property
    def overdue(self) -> bool:
        return self.stage == ReminderStage.OVERDUE

    @property
    def due_soon(self) -> bool:
        return self.stage == ReminderStage.DUE_SOON


@dataclass(frozen=True)
class ResponseBoard:
    """The response clocks of an incident; what the war room and dashboard cards show."""

    target: ResponseTarget | None
    clocks: tuple[ResponseClock, ...]

    @property
    def running(self) -> list[ResponseClock]:
        return [clock for clock in self.clocks if not clock.met]

    @property
    def overdue(self) -> bool:
        return any(clock.overdue for clock in self.clocks)

    @property
    def due_soon(self) -> bool:
        return any(clock.due_soon for clock in self.clocks)


# What the clocks read of a target; ``with_response_target`` brings them along with an incident.
CLOCK_TARGET_FIELDS = (
    "pk",
    "acknowledge_minutes",
    "first_response_minutes",
    "update_interval_minutes",
    "update_window_minutes",
)
TARGET_ANNOTATION = "_response_target_{}"


def with_response_target(queryset):
    """Incidents annotated with their severity's response target, so a war room reads it in the incident's query."""
    target = ResponseTarget.objects.filter(severity=OuterRef("severity"))
    return queryset.annotate(
        **{TARGET_ANNOTATION.format(name): Subquery(target.values(name)[:1]) for name in CLOCK_TARGET_FIELDS}
    )


def _annotated_target(incident: Incident) -> tuple[bool, ResponseTarget | None]:
    """(annotated?, the target) from ``with_response_target``'s annotations, if the incident has them."""
    if not hasattr(incident, TARGET_ANNOTATION.format("pk")):
        return False, None
    values = {name: getattr(incident, TARGET_ANNOTATION.format(name)) for name in CLOCK_TARGET_FIELDS}
    if values["pk"] is None:
        return True, None
    return True, ResponseTarget(severity=incident.severity, **values)


LAST_PUBLISHED_ANNOTATION = "_last_published_at"


def with_last_publication(queryset):
    """Incidents annotated with when they last published a statement (a scalar subquery per row): the dashboard's cards."""
    last = (
        Statement.objects.filter(incident=OuterRef("pk"), published_at__isnull=False)
        .order_by("-published_at")
        .values("published_at")[:1]
    )
    return queryset.annotate(**{LAST_PUBLISHED_ANNOTATION: Subquery(last)})


def targets_by_severity() -> dict[int, ResponseTarget]:
    """All targets in one query (four rows)."""
    return {target.severity: target for target in ResponseTarget.objects.all()}


def last_publications(incident_ids) -> dict[int, datetime]:
    """When each incident last published a statement, in one query."""
    rows = (
        Statement.objects.filter(incident_id__in=list(incident_ids), published_at__isnull=False)
        .values("incident_id")
        .annotate(last=Max("published_at"))
        .order_by()
    )
    return {row["incident_id"]: row["last"] for row in rows}


def incident_clocks(
    incident: Incident, *, target: ResponseTarget | None, last_published_at: datetime | None, now: datetime
) -> tuple[ResponseClock, ...]:
    """The response clocks of one incident; none for an incident that is no longer active."""
    if target is None or not incident.is_active:
        return ()
    clocks = [
        ResponseClock(
            code=ReminderClock.ACKNOWLEDGE,
            started_at=incident.detected_at,
            target=timedelta(minutes=target.acknowledge_minutes),
            now=now,
            met_at=incident.acknowledged_at,
        ),
        ResponseClock(
            code=ReminderClock.FIRST_RESPONSE,
            started_at=incident.detected_at,
            target=timedelta(minutes=target.first_response_minutes),
            now=now,
            met_at=incident.first_public_response_at,
        ),
    ]
    update = _update_clock(incident, target=target, last_published_at=last_published_at, now=now)
    if update is not None:
        clocks.append(update)
    return tuple(clocks)


def _update_clock(incident, *, target, last_published_at, now) -> ResponseClock | None:
    if not target.update_interval_minutes or incident.first_public_response_at is None:
        return None
    last = max(filter(None, [incident.first_public_response_at, last_published_at]))
    interval = timedelta(minutes=target.update_interval_minutes)
    # The cadence ends with its window: an update falling due after it is not expected.
    window = timedelta(minutes=target.update_window_minutes or 0)
    if window and last + interval > incident.detected_at + window:
        return None
    return ResponseClock(code=ReminderClock.UPDATE, started_at=last, target=interval, now=now, cycle=last.isoformat())


def _prefetched_statements(incident: Incident) -> list | None:
    return getattr(incident, "_prefetched_objects_cache", {}).get("statements")


def response_boards(
    incidents, *, now: datetime | None = None, targets: dict[int, ResponseTarget] | None = None
) -> dict[int, ResponseBoard]:
    """Response clocks of many incidents in two queries, whatever their number.

    None when the incidents come with their targets (``with_response_target``, or ``targets`` by
    severity) and with their statements prefetched (war room) or their last publication annotated
    (``with_last_publication``, dashboard).
    """
    incidents = list(incidents)
    now = now or timezone.now()
    if not incidents:
        return {}
    annotated = {incident.pk: _annotated_target(incident) for incident in incidents}
    # The targets' table only when an incident did not bring its own (``with_response_target``).
    if targets is None:
        targets = {} if all(known for known, _target in annotated.values()) else targets_by_severity()
    # An incident whose statements are loaded already (the war room's prefetch) needs no query for them.
    published = {
        incident.pk: max((s.published_at for s in statements if s.published_at), default=None)
        for incident in incidents
        if (statements := _prefetched_statements(incident)) is not None
    }
    published.update(
        (incident.pk, getattr(incident, LAST_PUBLISHED_ANNOTATION))
        for incident in incidents
        if incident.is_active and incident.pk not in published and hasattr(incident, LAST_PUBLISHED_ANNOTATION)
    )
    active_ids = [incident.pk for incident in incidents if incident.is_active and incident.pk not in published]
    published.update(last_publications(active_ids) if active_ids else {})
    boards = {}
    for incident in incidents:
        known, target = annotated[incident.pk]
        target = target if known else targets.get(incident.severity)
        clocks = incident_clocks(incident, target=target, last_published_at=published.get(incident.pk), now=now)
        boards[incident.pk] = ResponseBoard(target=target, clocks=clocks)
    return boards


def response_board(incident: Incident, *, now: datetime | None = None) -> ResponseBoard:
    """Response clocks of one incident (war room)."""
    return response_boards([incident], now=now)[incident.pk]


# --- the same clocks in SQL: which incidents need attention, counted or sorted over all of them -----------

ATTENTION = "_attention"
OVERDUE, DUE_SOON, ON_TRACK = 0, 1, 2
LAST_CONTACT = "_last_contact"


def with_attention(queryset, *, targets: dict[int, ResponseTarget], now: datetime):
    """Active incidents annotated with ``_attention``: ``OVERDUE``, ``DUE_SOON`` or ``ON_TRACK``.

    What ``ResponseBoard.overdue`` and ``.due_soon`` say in Python, written as SQL so that the
    dashboard counts and sorts every active incident without loading them. Each severity's target is
    a constant here (``targets``, four rows), so every clock is a comparison of a column with a
    point in time — ``started <= now - target``, the point picked by severity (``CASE``) — that
    PostgreSQL and SQLite evaluate alike; a severity without a target compares with NULL, never
    true. The queryset must carry ``with_last_publication``'s annotation (the update cadence
    restarts there).
    """
    queryset = queryset.annotate(
        **{
            # ``max(first public response, last publication)``, as ``_update_clock`` reads it.
            LAST_CONTACT: Greatest(
                "first_public_response_at", Coalesce(LAST_PUBLISHED_ANNOTATION, "first_public_response_at")
            )
        }
    )
    return queryset.annotate(
        **{
            ATTENTION: Case(
                When(_clocks_past(targets, now=now, fraction=1), then=Value(OVERDUE)),
                When(_clocks_past(targets, now=now, fraction=due_soon_fraction()), then=Value(DUE_SOON)),
                default=Value(ON_TRACK),
                output_field=IntegerField(),
            )
        }
    )


def _by_severity(values: dict[int, object], output_field) -> Case:
    """``values[incident.severity]`` in SQL (NULL for a severity not in ``values``)."""
    whens = [
        When(severity=severity, then=Value(value, output_field=output_field)) for severity, value in values.items()
    ]
    return Case(*whens, default=None, output_field=output_field) if whens else Value(None, output_field=output_field)


def _clocks_past(targets: dict[int, ResponseTarget], *, now: datetime, fraction: float) -> Q:
    """Incidents with a running clock past ``fraction`` of its severity's target."""

    def since(minutes: int) -> datetime:
        return now - timedelta(minutes=minutes) * fraction

    def cutoff(minutes_of) -> Case:
        return _by_severity({s: since(minutes_of(t)) for s, t in targets.items() if minutes_of(t)}, DateTimeField())

    past = Q(acknowledged_at__isnull=True, detected_at__lte=cutoff(lambda t: t.acknowledge_minutes)) | Q(
        first_public_response_at__isnull=True, detected_at__lte=cutoff(lambda t: t.first_response_minutes)
    )
    cadenced = {s: t for s, t in targets.items() if t.update_interval_minutes}
    if cadenced:
        # The update falls due ``interval`` after the last contact — unless that is past the cadence's
        # window (if it has one), when no update is expected: one bound, the earlier of the two.
        due = cutoff(lambda t: t.update_interval_minutes)
        room = {
            s: timedelta(minutes=t.update_window_minutes - t.update_interval_minutes)
            for s, t in cadenced.items()
            if t.update_window_minutes
        }
        if room:
            due = Least(due, Coalesce(F("detected_at") + _by_severity(room, DurationField()), due))
        past |= Q(first_public_response_at__isnull=False, **{f"{LAST_CONTACT}__lte": due})
    return past
