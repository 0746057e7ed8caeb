"""Every write to an incident, its team, timeline and facts.

Browser views, API actions, admin actions and management commands call these
functions; nothing else assigns a status field. Each function runs in one
transaction, locks the incident row it changes, and writes its timeline entry
in that same transaction.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisisdesk import live
from crisisdesk.audit.services import audit_record
from crisisdesk.exceptions import InvalidTransition
from crisisdesk.webhooks import emit
from crisisdesk.webhooks.payloads import incident_data
from incidents import hooks, permissions, timeline
from incidents.models import (
    LEAD_ROLE_CODE,
    MANUAL_TIMELINE_KINDS,
    Channel,
    Fact,
    FactStatus,
    Incident,
    IncidentRole,
    Membership,
    ReferenceCounter,
    Severity,
    Status,
    TimelineEntry,
    TimelineKind,
)

# The incident workflow: from each status, where it may go next.
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.DETECTED: (Status.INVESTIGATING, Status.RESPONDING, Status.MONITORING, Status.RESOLVED),
    Status.INVESTIGATING: (Status.RESPONDING, Status.MONITORING, Status.RESOLVED),
    Status.RESPONDING: (Status.MONITORING, Status.RESOLVED),
    Status.MONITORING: (Status.RESPONDING, Status.RESOLVED),
    # A resolved incident that flares up again goes back to responding.
    Status.RESOLVED: (Status.RESPONDING, Status.CLOSED),
    Status.CLOSED: (),
}

# How a person asks for each move: the verb phrase on its button (war room), keyed by the target
# status; (from, to) pairs that read differently are in TRANSITION_VERB_OVERRIDES.
TRANSITION_VERBS: dict[str, str] = {
    Status.INVESTIGATING: gettext_lazy("Start investigating"),
    Status.RESPONDING: gettext_lazy("Start responding"),
    Status.MONITORING: gettext_lazy("Start monitoring"),
    Status.RESOLVED: gettext_lazy("Mark resolved"),
    Status.CLOSED: gettext_lazy("Close incident"),
}
TRANSITION_VERB_OVERRIDES: dict[tuple[str, str], str] = {
    (Status.RESOLVED, Status.RESPONDING): gettext_lazy("Reopen"),
    (Status.MONITORING, Status.RESPONDING): gettext_lazy("Back to responding"),
}
# The usual next step from each status: its button is the solid one.
RECOMMENDED_TRANSITION: dict[str, str] = {
    Status.DETECTED: Status.INVESTIGATING,
    Status.INVESTIGATING: Status.RESPONDING,
    Status.RESPONDING: Status.MONITORING,
    Status.MONITORING: Status.RESOLVED,
}
# Moves that cannot be taken back: the browser asks first (a confirmation page without JavaScript).
CONFIRMED_TRANSITIONS: tuple[str, ...] = (Status.CLOSED,)

FACT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    FactStatus.UNVERIFIED: (FactStatus.CONFIRMED, FactStatus.REFUTED),
    # New evidence can overturn a verdict; the timeline keeps both.
    FactStatus.CONFIRMED: (FactStatus.REFUTED,),
    FactStatus.REFUTED: (FactStatus.CONFIRMED,),
}

EDITABLE_FIELDS = ("title", "summary", "category", "source", "affected_channels")


def allowed_transitions(incident: Incident) -> tuple[str, ...]:
    return STATUS_TRANSITIONS[incident.status]


def user_transitions(*, user, incident: Incident) -> list[str]:
    """The moves this user may make now: what the war room shows as buttons."""
    return [s for s in allowed_transitions(incident) if permissions.can_transition(user, incident, s)]


def transition_verb(from_status: str, to_status: str) -> str:
    """The button label of one move ("Start investigating", "Reopen")."""
    return str(TRANSITION_VERB_OVERRIDES.get((from_status, to_status), TRANSITION_VERBS[to_status]))


@dataclass(frozen=True)
class TransitionButton:
    """One war-room workflow button: the status it moves to, its verb, its style and whether it asks first."""

    value: str
    label: str
    css: str
    confirm: bool


def transition_buttons(*, user, incident: Incident, acknowledge_first: bool = False) -> list[TransitionButton]:
    """The moves ``user`` may make now as buttons: the recommended one solid, closing in red, the rest outlined.

    ``acknowledge_first``: the "Acknowledge" button is shown and is the recommended step, so no
    move is solid.
    """
    recommended = None if acknowledge_first else RECOMMENDED_TRANSITION.get(incident.status)
    buttons = []
    for to_status in user_transitions(user=user, incident=incident):
        if to_status == Status.CLOSED:
            css = "btn-danger"
        elif to_status == recommended:
            css = "btn-primary"
        else:
            css = "btn-outline-primary"
        label = transition_verb(incident.status, to_status)
        buttons.append(TransitionButton(to_status, label, css, to_status in CONFIRMED_TRANSITIONS))
    return buttons


# --- helpers -------------------------------------------------------------------


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _lock(incident: Incident) -> Incident:
    """Re-read the incident with its row locked.

    Two people pressing buttons at once must not both act on the status they
    saw on screen: the second waits here and then sees the first one's result.
    """
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _log(
    *, incident: Incident, kind: str, event: timeline.Event, params: dict, actor=None, data: dict | None = None
) -> TimelineEntry:
    """A system entry: its event code and parameters, rendered in each reader's language."""
    return timeline.log(incident=incident, kind=kind, event=event, params=params, actor=actor, data=data)


def display_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else "—"


def _validate_channels(channels) -> list[str]:
    if channels is None:
        return []
    if not isinstance(channels, (list, tuple)):
        raise ValidationError({"affected_channels": _("Expected a list of channels.")})
    unknown = [c for c in channels if c not in Channel.values]
    if unknown:
        raise ValidationError({"affected_channels": _("Unknown channel(s): %s") % ", ".join(map(str, unknown))})
    # Keep the order of Channel, drop duplicates.
    return [c for c in Channel.values if c in channels]


def _validate_assignable_user(user, field: str) -> None:
    if not user.is_active or not (user.is_superuser or user.has_perm("incidents.view_incident")):
        raise ValidationError(
            {field: _("%s has no CrisisDesk role and cannot join a crisis team.") % display_name(user)}
        )


def next_reference(*, year: int) -> str:
    """Allocate the next ``CD-YYYY-NNNN`` reference; call inside the creating transaction.

    The UPDATE takes a row lock that is held until the caller commits, so two
    concurrent creations get consecutive numbers, never the same one.
    """
    updated = ReferenceCounter.objects.filter(year=year).update(last_number=F("last_number") + 1)
    if not updated:
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(year=year, last_number=1)
        except IntegrityError:
            # Another transaction created the year's row first: take the next number after it.
            ReferenceCounter.objects.filter(year=year).update(last_number=F("last_number") + 1)
    number = ReferenceCounter.objects.get(year=year).last_number
    return f"{settings.INCIDENT_REFERENCE_PREFIX}-{year}-{number:04d}"


# --- incident ------------------------------------------------------------------


@transaction.atomic
def incident_open(
    *,
    actor,
    title: str,
    summary: str = "",
    category: str = "other",
    severity: int = Severity.MEDIUM,
    source: str = "",
    affected_channels: list[str] | None = None,
    confidential: bool = False,
    is_exercise: bool = False,
    detected_at: datetime | None = None,
    lead=None,
) -> Incident:
    """Open an incident, allocate its reference and log the opening."""
    _require(permissions.can_create(actor), _("You may not open incidents."))
    now = timezone.now()
    detected_at = detected_at or now
    if detected_at > now:
        raise ValidationError({"detected_at": _("Detection time cannot be in the future.")})
    incident = Incident(
        title=title,
        summary=summary,
        category=category,
        severity=severity,
        source=source,
        affected_channels=_validate_channels(affected_channels),
        confidential=confidential,
        is_exercise=is_exercise,
        detected_at=detected_at,
        lead=lead,
        created_by=actor,
        reference="pending",
    )
    incident.full_clean(exclude=["reference"])
    if lead is not None:
        _validate_assignable_user(lead, "lead")
    incident.reference = next_reference(year=detected_at.year)
    incident.save()
    _log(
        incident=incident,
        kind=TimelineKind.OPENED,
        actor=actor,
        event=timeline.INCIDENT_OPENED,
        params={"severity": incident.severity},
        data={"severity": incident.severity, "status": incident.status},
    )
    if lead is not None:
        _ensure_membership(incident=incident, user=lead, role_code=LEAD_ROLE_CODE, actor=actor)
    # Whoever opens it is on the team; confidential incidents would otherwise
    # vanish from their creator's screen.
    if not Membership.objects.filter(incident=incident, user=actor).exists():
        _ensure_membership(incident=incident, user=actor, role_code="communications", actor=actor)
    # Outbox row in this transaction: sent after the commit, never for a rollback.
    emit(event_type="incident.opened", payload=incident_data(incident, actor=actor.get_username()), incident=incident)
    return incident


@transaction.atomic
def incident_update(*, actor, incident: Incident, **changes) -> Incident:
    """Edit the description of an incident; logs which fields changed."""
    unknown = set(changes) - set(EDITABLE_FIELDS) - {"confidential"}
    if unknown:
        raise ValidationError({f: _("This field cannot be edited here.") for f in unknown})
    incident = _lock(incident)
    _require(permissions.can_edit(actor, incident), _("You may not edit this incident."))
    if "confidential" in changes and changes["confidential"] != incident.confidential:
        _require(permissions.can_manage(actor, incident), _("Only a team lead may change confidentiality."))
    if "affected_channels" in changes:
        changes["affected_channels"] = _validate_channels(changes["affected_channels"])
    changed = [f for f, v in changes.items() if getattr(incident, f) != v]
    if not changed:
        return incident
    for field in changed:
        setattr(incident, field, changes[field])
    incident.full_clean()
    incident.save(update_fields=[*changed, "updated_at"])
    _log(
        incident=incident,
        kind=TimelineKind.EDIT,
        actor=actor,
        event=timeline.INCIDENT_EDITED,
        params={"fields": changed},
        data={"fields": changed},
    )
    return incident


@transaction.atomic
def incident_change_status(*, actor, incident: Incident, to_status: str, comment: str = "") -> Incident:
    """Move an incident along its workflow and start or stop its clocks."""
    if to_status not in Status.values:
        raise ValidationError({"status": _("Unknown status %s.") % to_status})
    incident = _lock(incident)
    _require(permissions.can_view(actor, incident), _("You may not see this incident."))
    from_status = incident.status
    if to_status not in STATUS_TRANSITIONS[from_status]:
        raise InvalidTransition(
            _("An incident cannot go from %(from)s to %(to)s.")
            % {"from": Status(from_status).label, "to": Status(to_status).label},
            current=from_status,
            requested=to_status,
        )
    _require(
        permissions.can_transition(actor, incident, to_status),
        _("You may not move this incident to %s.") % Status(to_status).label,
    )
    now = timezone.now()
    incident.status = to_status
    if from_status == Status.DETECTED and incident.acknowledged_at is None:
        incident.acknowledged_at = now
    if to_status == Status.RESOLVED:
        incident.resolved_at = now
    elif to_status == Status.CLOSED:
        incident.closed_at = now
    elif from_status == Status.RESOLVED:
        # Re-opened: the crisis is not resolved until it is resolved again.
        incident.resolved_at = None
    incident.save(update_fields=["status", "acknowledged_at", "resolved_at", "closed_at", "updated_at"])
    _log(
        incident=incident,
        kind=TimelineKind.STATUS_CHANGE,
        actor=actor,
        event=timeline.INCIDENT_STATUS_CHANGED,
        params={"from": from_status, "to": to_status, "comment": comment},
        data={"from": from_status, "to": to_status, "comment": comment},
    )
    emit(
        event_type="incident.status_changed",
        payload=incident_data(incident, actor=actor.get_username(), **{"from": from_status, "to": to_status}),
        incident=incident,
    )
    if to_status == Status.RESOLVED:
        # Same transaction: a resolution that rolls back leaves no orphan review draft (postmortems
        # registers the draft; see incidents.hooks). Idempotent.
        hooks.incident_resolved(incident=incident, actor=actor)
    return incident


@transaction.atomic
def incident_acknowledge(*, actor, incident: Incident) -> Incident:
    """Stop the time-to-acknowledge clock without changing the status."""
    incident = _lock(incident)
    _require(
        permissions.can_transition(actor, incident, Status.INVESTIGATING), _("You may not acknowledge this incident.")
    )
    if incident.acknowledged_at is not None:
        raise InvalidTransition(_("This incident is already acknowledged."), current=incident.status)
    incident.acknowledged_at = timezone.now()
    incident.save(update_fields=["acknowledged_at", "updated_at"])
    _log(
        incident=incident,
        kind=TimelineKind.STATUS_CHANGE,
        actor=actor,
        event=timeline.INCIDENT_ACKNOWLEDGED,
        params={},
        data={"acknowledged": True},
    )
    return incident


@transaction.atomic
def incident_set_severity(*, actor, incident: Incident, severity: int, comment: str = "") -> Incident:
    """Raise or lower the severity; logs the change with its reason."""
    if severity not in Severity.values:
        raise ValidationError({"severity": _("Severity must be between 1 (critical) and 4 (low).")})
    incident = _lock(incident)
    _require(permissions.can_manage(actor, incident), _("Only a team lead may change the severity."))
    if incident.status == Status.CLOSED:
        raise InvalidTransition(_("A closed incident cannot change severity."), current=incident.status)
    old = incident.severity
    if old == severity:
        return incident
    incident.severity = severity
    incident.save(update_fields=["severity", "updated_at"])
    _log(
        incident=incident,
        kind=TimelineKind.SEVERITY_CHANGE,
        actor=actor,
        event=timeline.INCIDENT_SEVERITY_CHANGED,
        params={"old": old, "new": severity, "comment": comment},
        data={"from": old, "to": severity, "comment": comment},
    )
    emit(
        event_type="incident.severity_changed",
        payload=incident_data(incident, actor=actor.get_username(), **{"from": old, "to": severity}),
        incident=incident,
    )
    return incident


@transaction.atomic
def incident_set_lead(*, actor, incident: Incident, lead) -> Incident:
    """Hand the incident to a new lead, who also takes the lead role on the team."""
    incident = _lock(incident)
    _require(permissions.can_manage(actor, incident), _("Only a team lead may change the incident lead."))
    if incident.lead_id == getattr(lead, "pk", None):
        return incident
    _validate_assignable_user(lead, "lead")
    old_lead = incident.lead
    incident.lead = lead
    incident.save(update_fields=["lead", "updated_at"])
    for former in Membership.objects.filter(incident=incident, role__code=LEAD_ROLE_CODE).exclude(user=lead):
        former.delete()
        _audit_membership(actor=actor, incident=incident, user=former.user, role_code=LEAD_ROLE_CODE, added=False)
    _ensure_membership(incident=incident, user=lead, role_code=LEAD_ROLE_CODE, actor=actor, log=False)
    _log(
        incident=incident,
        kind=TimelineKind.LEAD_CHANGE,
        actor=actor,
        event=timeline.INCIDENT_LEAD_CHANGED,
        params={"old": display_name(old_lead), "new": display_name(lead)},
        data={"from": getattr(old_lead, "pk", None), "to": lead.pk},
    )
    return incident


# --- crisis team ------------------------------------------------------------------


def _ensure_membership(*, incident: Incident, user, role_code: str, actor, log: bool = True) -> Membership:
    role = IncidentRole.objects.get(code=role_code)
    membership, created = Membership.objects.get_or_create(
        incident=incident, user=user, role=role, defaults={"added_by": actor}
    )
    if created:
        _audit_membership(actor=actor, incident=incident, user=user, role_code=role.code, added=True)
    if created and log:
        _log(
            incident=incident,
            kind=TimelineKind.TEAM_CHANGE,
            actor=actor,
            event=timeline.TEAM_JOINED,
            params={"user": display_name(user), "role": role.name},
            data={"user": user.pk, "role": role.code, "added": True},
        )
    return membership


@transaction.atomic
def membership_add(*, actor, incident: Incident, user, role: IncidentRole) -> Membership:
    """Put someone on the crisis team in an incident role."""
    incident = _lock(incident)
    _require(permissions.can_manage(actor, incident), _("Only a team lead may change the crisis team."))
    _validate_assignable_user(user, "user")
    if Membership.objects.filter(incident=incident, user=user, role=role).exists():
        raise ValidationError(
            {"role": _("%(user)s already holds the role %(role)s.") % {"user": display_name(user), "role": role}}
        )
    if role.code == LEAD_ROLE_CODE:
        raise ValidationError({"role": _("Change the lead with “Set lead”, so there is only one.")})
    return _ensure_membership(incident=incident, user=user, role_code=role.code, actor=actor)


@transaction.atomic
def membership_remove(*, actor, membership: Membership) -> None:
    """Take someone off the crisis team (the lead is replaced, not removed)."""
    incident = _lock(membership.incident)
    _require(permissions.can_manage(actor, incident), _("Only a team lead may change the crisis team."))
    if membership.role.code == LEAD_ROLE_CODE and incident.lead_id == membership.user_id:
        raise InvalidTransition(_("Set another lead instead of removing the lead."))
    membership.delete()
    _log(
        incident=incident,
        kind=TimelineKind.TEAM_CHANGE,
        actor=actor,
        event=timeline.TEAM_LEFT,
        params={"user": display_name(membership.user), "role": membership.role.name},
        data={"user": membership.user_id, "role": membership.role.code, "added": False},
    )
    _audit_membership(actor=actor, incident=incident, user=membership.user, role_code=membership.role.code, added=False)


def _audit_membership(*, actor, incident: Incident, user, role_code: str, added: bool) -> None:
    """A crisis-team change in the system audit trail: from/to are the person's role on the team."""
    held = f"{user.get_username()}: {role_code}"
    audit_record(
        actor=actor,
        action="membership.add" if added else "membership.remove",
        target=incident,
        from_state="" if added else held,
        to_state=held if added else "",
        data={"user": user.pk, "role": role_code},
    )


# --- timeline and facts --------------------------------------------------------------


@transaction.atomic
def timeline_add_note(
    *,
    actor,
    incident: Incident,
    body: str = "",
    kind: str = TimelineKind.NOTE,
    event: timeline.Event | None = None,
    params: dict | None = None,
) -> TimelineEntry:
    """Append a note, decision or escalation to the timeline.

    A person's note is ``body``, shown as typed. A note a service writes on someone's behalf (a
    spike alert) passes ``event`` and ``params`` instead, so it is rendered in each reader's language.
    """
    if kind not in MANUAL_TIMELINE_KINDS:
        raise ValidationError({"kind": _("Only notes, decisions and escalations can be written by hand.")})
    body = (body or "").strip()
    if not body and event is None:
        raise ValidationError({"body": _("Write something.")})
    incident = _lock(incident)
    _require(permissions.can_add_note(actor, incident), _("You may not write on this incident's timeline."))
    if event is not None:
        return _log(incident=incident, kind=kind, actor=actor, event=event, params=params or {})
    # What a person typed has no event: it shows as typed, in every language.
    live.touch(live.INCIDENTS, live.incident_topic(incident))
    return TimelineEntry.objects.create(incident=incident, kind=kind, body=body, author=actor)


@transaction.atomic
def fact_add(*, actor, incident: Incident, claim: str, source: str = "") -> Fact:
    """Register a claim as unverified."""
    incident = _lock(incident)
    _require(permissions.can_add_fact(actor, incident), _("You may not add facts to this incident."))
    fact = Fact(incident=incident, claim=(claim or "").strip(), source=source, created_by=actor)
    fact.full_clean()
    fact.save()
    _log(
        incident=incident,
        kind=TimelineKind.FACT,
        actor=actor,
        event=timeline.FACT_REGISTERED,
        params={"claim": fact.claim},
        data={"fact": fact.pk, "status": fact.status},
    )
    return fact


@transaction.atomic
def fact_verify(*, actor, fact: Fact, status: str, note: str = "") -> Fact:
    """Confirm or refute a fact, recording who did and why."""
    if status not in (FactStatus.CONFIRMED, FactStatus.REFUTED):
        raise ValidationError({"status": _("A fact can only be confirmed or refuted.")})
    incident = _lock(fact.incident)
    _require(permissions.can_verify_fact(actor, incident), _("You may not verify facts on this incident."))
    fact = Fact.objects.select_for_update().get(pk=fact.pk)
    if status not in FACT_TRANSITIONS[fact.status]:
        raise InvalidTransition(
            _("This fact is already %s.") % FactStatus(fact.status).label, current=fact.status, requested=status
        )
    old = fact.status
    fact.status = status
    fact.verified_by = actor
    fact.verified_at = timezone.now()
    fact.verification_note = note
    fact.save(update_fields=["status", "verified_by", "verified_at", "verification_note"])
    _log(
        incident=incident,
        kind=TimelineKind.FACT,
        actor=actor,
        event=timeline.FACT_VERDICTS[status],
        params={"claim": fact.claim, "note": note},
        data={"fact": fact.pk, "from": old, "to": status},
    )
    if status == FactStatus.REFUTED:
        # Statements already out that cite it are flagged and their people told (incidents.hooks).
        hooks.fact_refuted(fact=fact, incident=incident, actor=actor)
    return fact
