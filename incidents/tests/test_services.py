"""Services tested directly: every allowed and forbidden transition, for every persona."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.testing.factories import FactFactory, IncidentFactory, MembershipFactory, UserFactory, role
from incidents import services
from incidents.models import FactStatus, Incident, Membership, Status, TimelineEntry, TimelineKind

pytestmark = pytest.mark.django_db

ALL_STATUSES = list(Status.values)
ALLOWED_PAIRS = [(src, dst) for src, targets in services.STATUS_TRANSITIONS.items() for dst in targets]
FORBIDDEN_PAIRS = [
    (src, dst) for src in ALL_STATUSES for dst in ALL_STATUSES if dst not in services.STATUS_TRANSITIONS[src]
]


def incident_in(status: str, **kwargs) -> Incident:
    """An incident already in ``status`` with the clocks that status implies."""
    now = timezone.now()
    clocks = {}
    if status != Status.DETECTED:
        clocks["acknowledged_at"] = now
    if status in (Status.RESOLVED, Status.CLOSED):
        clocks["resolved_at"] = now
    if status == Status.CLOSED:
        clocks["closed_at"] = now
    return IncidentFactory(status=status, detected_at=now - timedelta(hours=1), **clocks, **kwargs)


# --- the transition table -------------------------------------------------------------


def test_transition_table_covers_every_status():
    assert set(services.STATUS_TRANSITIONS) == set(Status.values)
    assert services.STATUS_TRANSITIONS[Status.CLOSED] == ()


@pytest.mark.parametrize(("src", "dst"), ALLOWED_PAIRS)
def test_team_lead_makes_every_allowed_transition(team_lead, src, dst):
    incident = incident_in(src)
    before = TimelineEntry.objects.filter(incident=incident).count()

    result = services.incident_change_status(actor=team_lead, incident=incident, to_status=dst, comment="why")

    incident.refresh_from_db()
    assert result.status == incident.status == dst
    entry = TimelineEntry.objects.filter(incident=incident).order_by("-id").first()
    assert TimelineEntry.objects.filter(incident=incident).count() == before + 1
    assert entry.kind == TimelineKind.STATUS_CHANGE
    assert entry.data == {"from": src, "to": dst, "comment": "why"}
    assert entry.author == team_lead
    assert incident.acknowledged_at is not None


@pytest.mark.parametrize(("src", "dst"), FORBIDDEN_PAIRS)
def test_every_forbidden_transition_is_refused(team_lead, src, dst):
    incident = incident_in(src)

    with pytest.raises(InvalidTransition) as excinfo:
        services.incident_change_status(actor=team_lead, incident=incident, to_status=dst)

    assert excinfo.value.current == src
    incident.refresh_from_db()
    assert incident.status == src
    assert not TimelineEntry.objects.filter(incident=incident).exists()


def test_unknown_status_is_a_validation_error(team_lead):
    incident = incident_in(Status.DETECTED)
    with pytest.raises(ValidationError):
        services.incident_change_status(actor=team_lead, incident=incident, to_status="exploded")


# --- who may move an incident ---------------------------------------------------------------

# persona → may move an open incident (not close), may close a resolved one
TRANSITION_RIGHTS = {
    "communicator": (True, False),
    "legal": (False, False),
    "team_lead": (True, True),
    "observer": (False, False),
    "outsider": (False, False),
}


@pytest.mark.parametrize("persona", TRANSITION_RIGHTS)
def test_status_change_rights_per_persona(personas, persona):
    user = personas[persona]
    may_move, may_close = TRANSITION_RIGHTS[persona]

    open_incident = incident_in(Status.DETECTED)
    if may_move:
        services.incident_change_status(actor=user, incident=open_incident, to_status=Status.INVESTIGATING)
        open_incident.refresh_from_db()
        assert open_incident.status == Status.INVESTIGATING
    else:
        with pytest.raises(PermissionDenied):
            services.incident_change_status(actor=user, incident=open_incident, to_status=Status.INVESTIGATING)
        open_incident.refresh_from_db()
        assert open_incident.status == Status.DETECTED

    resolved = incident_in(Status.RESOLVED)
    if may_close:
        services.incident_change_status(actor=user, incident=resolved, to_status=Status.CLOSED)
        resolved.refresh_from_db()
        assert resolved.status == Status.CLOSED
    else:
        with pytest.raises(PermissionDenied):
            services.incident_change_status(actor=user, incident=resolved, to_status=Status.CLOSED)
        resolved.refresh_from_db()
        assert resolved.status == Status.RESOLVED


def test_incident_lead_may_close_their_own_incident_without_global_right(communicator):
    incident = incident_in(Status.RESOLVED, lead=communicator)
    services.incident_change_status(actor=communicator, incident=incident, to_status=Status.CLOSED)
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED


def test_confidential_incident_cannot_be_moved_by_a_non_member(communicator, confidential_incident):
    with pytest.raises(PermissionDenied):
        services.incident_change_status(
            actor=communicator, incident=confidential_incident, to_status=Status.INVESTIGATING
        )


def test_user_transitions_lists_only_usable_moves(communicator, team_lead, observer):
    incident = incident_in(Status.RESOLVED)
    assert services.user_transitions(user=team_lead, incident=incident) == [Status.RESPONDING, Status.CLOSED]
    assert services.user_transitions(user=communicator, incident=incident) == [Status.RESPONDING]
    assert services.user_transitions(user=observer, incident=incident) == []


# --- clocks ---------------------------------------------------------------------------------------


def test_clocks_follow_the_workflow(team_lead):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        incident = services.incident_open(actor=team_lead, title="Blender jar cracks on video", severity=2)
    assert incident.acknowledged_at is None

    with time_machine.travel(start + timedelta(minutes=12), tick=False):
        services.incident_change_status(actor=team_lead, incident=incident, to_status=Status.INVESTIGATING)
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        services.incident_change_status(actor=team_lead, incident=incident, to_status=Status.RESOLVED)
    incident.refresh_from_db()
    assert incident.acknowledged_at - incident.detected_at == timedelta(minutes=12)
    assert incident.resolved_at - incident.detected_at == timedelta(hours=3)

    with time_machine.travel(start + timedelta(hours=4), tick=False):
        services.incident_change_status(actor=team_lead, incident=incident, to_status=Status.RESPONDING)
    incident.refresh_from_db()
    assert incident.resolved_at is None, "a re-opened incident is not resolved"
    assert incident.acknowledged_at - incident.detected_at == timedelta(minutes=12), "acknowledgement stays"

    with time_machine.travel(start + timedelta(hours=5), tick=False):
        services.incident_change_status(actor=team_lead, incident=incident, to_status=Status.RESOLVED)
        services.incident_change_status(actor=team_lead, incident=incident, to_status=Status.CLOSED)
    incident.refresh_from_db()
    assert incident.closed_at - incident.detected_at == timedelta(hours=5)


def test_acknowledge_stops_the_clock_once(communicator, observer):
    incident = incident_in(Status.DETECTED)
    with pytest.raises(PermissionDenied):
        services.incident_acknowledge(actor=observer, incident=incident)
    services.incident_acknowledge(actor=communicator, incident=incident)
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    assert incident.status == Status.DETECTED
    with pytest.raises(InvalidTransition):
        services.incident_acknowledge(actor=communicator, incident=incident)


# --- opening and editing --------------------------------------------------------------------------


def test_open_allocates_reference_and_logs(communicator):
    with time_machine.travel("2026-03-04 10:00Z", tick=False):
        first = services.incident_open(actor=communicator, title="Outage angers customers on X")
        second = services.incident_open(
            actor=communicator, title="Second", affected_channels=["facebook", "x", "facebook"]
        )
    assert first.reference == "CD-2026-0001"
    assert second.reference == "CD-2026-0002"
    assert second.affected_channels == ["x", "facebook"]
    entry = first.timeline.get(kind=TimelineKind.OPENED)
    assert entry.author == communicator
    # The creator is on the team so a confidential incident stays visible to them.
    assert Membership.objects.filter(incident=first, user=communicator).exists()


def test_reference_numbering_restarts_each_year(communicator):
    with time_machine.travel("2025-12-31 23:00Z", tick=False):
        old = services.incident_open(actor=communicator, title="Old year")
    with time_machine.travel("2026-01-01 01:00Z", tick=False):
        new = services.incident_open(actor=communicator, title="New year")
    assert old.reference == "CD-2025-0001"
    assert new.reference == "CD-2026-0001"


@pytest.mark.parametrize("persona", ["legal", "observer", "outsider"])
def test_open_refused_without_role(personas, persona):
    with pytest.raises(PermissionDenied):
        services.incident_open(actor=personas[persona], title="Should not exist")
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x", "severity": 7}, "severity"),
        ({"title": "x", "category": "gossip"}, "category"),
        ({"title": "x", "affected_channels": ["myspace"]}, "affected_channels"),
        ({"title": "x", "affected_channels": "x"}, "affected_channels"),
        ({"title": "x", "detected_at": timezone.now() + timedelta(days=1)}, "detected_at"),
    ],
)
def test_open_rejects_bad_input_with_field_errors(communicator, kwargs, field):
    with pytest.raises(ValidationError) as excinfo:
        services.incident_open(actor=communicator, **kwargs)
    assert field in excinfo.value.message_dict
    assert not Incident.objects.exists()


def test_open_with_lead_puts_lead_on_team(communicator, team_lead):
    incident = services.incident_open(actor=communicator, title="Leaked memo", lead=team_lead, confidential=True)
    assert incident.memberships.filter(user=team_lead, role__code="lead").exists()
    assert Incident.objects.visible_to(team_lead).filter(pk=incident.pk).exists()
    assert Incident.objects.visible_to(communicator).filter(pk=incident.pk).exists()


def test_open_refuses_a_lead_without_role(communicator, outsider):
    with pytest.raises(ValidationError) as excinfo:
        services.incident_open(actor=communicator, title="x", lead=outsider)
    assert "lead" in excinfo.value.message_dict


def test_update_logs_changed_fields(communicator):
    incident = incident_in(Status.INVESTIGATING)
    services.incident_update(actor=communicator, incident=incident, title="New title", summary=incident.summary)
    entry = incident.timeline.get()
    assert entry.kind == TimelineKind.EDIT
    assert entry.data == {"fields": ["title"]}
    # No change, no entry.
    services.incident_update(actor=communicator, incident=incident, title="New title")
    assert incident.timeline.count() == 1


def test_update_cannot_touch_status_or_clocks(communicator):
    incident = incident_in(Status.DETECTED)
    with pytest.raises(ValidationError) as excinfo:
        services.incident_update(actor=communicator, incident=incident, status=Status.CLOSED)
    assert "status" in excinfo.value.message_dict
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("communicator", True), ("team_lead", True), ("legal", False), ("observer", False), ("outsider", False)],
)
def test_update_rights(personas, persona, allowed):
    incident = incident_in(Status.RESPONDING)
    if allowed:
        services.incident_update(actor=personas[persona], incident=incident, title="Edited")
        incident.refresh_from_db()
        assert incident.title == "Edited"
    else:
        with pytest.raises(PermissionDenied):
            services.incident_update(actor=personas[persona], incident=incident, title="Edited")


def test_only_managers_change_confidentiality(communicator, team_lead):
    incident = incident_in(Status.RESPONDING)
    with pytest.raises(PermissionDenied):
        services.incident_update(actor=communicator, incident=incident, confidential=True)
    services.incident_update(actor=team_lead, incident=incident, confidential=True)
    incident.refresh_from_db()
    assert incident.confidential


def test_closed_incident_is_frozen(team_lead):
    incident = incident_in(Status.CLOSED)
    with pytest.raises(PermissionDenied):
        services.incident_update(actor=team_lead, incident=incident, title="Rewrite history")
    with pytest.raises(PermissionDenied):
        services.incident_set_severity(actor=team_lead, incident=incident, severity=1)


# --- severity, lead, team -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("communicator", False), ("team_lead", True), ("legal", False), ("observer", False), ("outsider", False)],
)
def test_severity_rights(personas, persona, allowed):
    incident = incident_in(Status.RESPONDING, severity=3)
    if allowed:
        services.incident_set_severity(actor=personas[persona], incident=incident, severity=1, comment="Press call")
        incident.refresh_from_db()
        assert incident.severity == 1
        entry = incident.timeline.get()
        assert entry.kind == TimelineKind.SEVERITY_CHANGE
        assert entry.data["from"] == 3 and entry.data["to"] == 1
    else:
        with pytest.raises(PermissionDenied):
            services.incident_set_severity(actor=personas[persona], incident=incident, severity=1)
        incident.refresh_from_db()
        assert incident.severity == 3


def test_severity_out_of_range(team_lead):
    incident = incident_in(Status.RESPONDING)
    with pytest.raises(ValidationError):
        services.incident_set_severity(actor=team_lead, incident=incident, severity=0)


def test_incident_lead_manages_their_incident(communicator, legal):
    incident = incident_in(Status.RESPONDING, lead=communicator)
    services.incident_set_severity(actor=communicator, incident=incident, severity=2)
    membership = services.membership_add(actor=communicator, incident=incident, user=legal, role=role("legal"))
    assert membership.user == legal


def test_set_lead_moves_the_lead_role(team_lead, communicator):
    other_lead = UserFactory(username="lead2", role="Team lead")
    incident = incident_in(Status.RESPONDING, lead=team_lead)
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))

    services.incident_set_lead(actor=team_lead, incident=incident, lead=other_lead)

    incident.refresh_from_db()
    assert incident.lead == other_lead
    assert list(incident.memberships.filter(role__code="lead").values_list("user__username", flat=True)) == ["lead2"]
    assert incident.timeline.get().kind == TimelineKind.LEAD_CHANGE
    with pytest.raises(PermissionDenied):
        services.incident_set_lead(actor=communicator, incident=incident, lead=communicator)


def test_membership_add_and_remove(team_lead, legal, outsider, observer):
    incident = incident_in(Status.RESPONDING)
    membership = services.membership_add(actor=team_lead, incident=incident, user=legal, role=role("legal"))
    with pytest.raises(ValidationError):
        services.membership_add(actor=team_lead, incident=incident, user=legal, role=role("legal"))
    with pytest.raises(ValidationError):
        services.membership_add(actor=team_lead, incident=incident, user=outsider, role=role("scribe"))
    with pytest.raises(ValidationError):
        services.membership_add(actor=team_lead, incident=incident, user=legal, role=role("lead"))
    with pytest.raises(PermissionDenied):
        services.membership_add(actor=observer, incident=incident, user=observer, role=role("scribe"))

    services.membership_remove(actor=team_lead, membership=membership)
    assert not incident.memberships.exists()
    kinds = list(incident.timeline.values_list("kind", "data__added"))
    assert kinds == [(TimelineKind.TEAM_CHANGE, False), (TimelineKind.TEAM_CHANGE, True)]


def test_lead_membership_cannot_be_removed(team_lead):
    incident = incident_in(Status.RESPONDING, lead=team_lead)
    membership = MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    with pytest.raises(InvalidTransition):
        services.membership_remove(actor=team_lead, membership=membership)


# --- timeline and facts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("communicator", True), ("team_lead", True), ("legal", True), ("observer", False), ("outsider", False)],
)
def test_note_rights(personas, persona, allowed):
    incident = incident_in(Status.RESPONDING)
    if allowed:
        entry = services.timeline_add_note(actor=personas[persona], incident=incident, body="Called the supplier.")
        assert entry.author == personas[persona]
    else:
        with pytest.raises(PermissionDenied):
            services.timeline_add_note(actor=personas[persona], incident=incident, body="x")
        assert not incident.timeline.exists()


def test_observer_member_may_add_notes(observer):
    incident = incident_in(Status.RESPONDING)
    MembershipFactory(incident=incident, user=observer, role=role("scribe"))
    services.timeline_add_note(actor=observer, incident=incident, body="Noted.")
    assert incident.timeline.count() == 1


def test_note_validation(communicator):
    incident = incident_in(Status.RESPONDING)
    with pytest.raises(ValidationError):
        services.timeline_add_note(actor=communicator, incident=incident, body="   ")
    with pytest.raises(ValidationError):
        services.timeline_add_note(actor=communicator, incident=incident, body="x", kind=TimelineKind.STATUS_CHANGE)


def test_timeline_is_append_only_in_python(communicator):
    incident = incident_in(Status.RESPONDING)
    entry = services.timeline_add_note(actor=communicator, incident=incident, body="Original")
    entry.body = "Rewritten"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        TimelineEntry.objects.filter(pk=entry.pk).update(body="Rewritten")
    entry.refresh_from_db()
    assert entry.body == "Original"


@pytest.mark.parametrize(
    ("src", "dst", "ok"),
    [
        (FactStatus.UNVERIFIED, FactStatus.CONFIRMED, True),
        (FactStatus.UNVERIFIED, FactStatus.REFUTED, True),
        (FactStatus.CONFIRMED, FactStatus.REFUTED, True),
        (FactStatus.REFUTED, FactStatus.CONFIRMED, True),
        (FactStatus.CONFIRMED, FactStatus.CONFIRMED, False),
        (FactStatus.REFUTED, FactStatus.REFUTED, False),
    ],
)
def test_fact_transitions(legal, src, dst, ok):
    extra = {} if src == FactStatus.UNVERIFIED else {"verified_at": timezone.now()}
    fact = FactFactory(incident=incident_in(Status.RESPONDING), status=src, **extra)
    if ok:
        services.fact_verify(actor=legal, fact=fact, status=dst, note="Checked the batch records")
        fact.refresh_from_db()
        assert (fact.status, fact.verified_by) == (dst, legal)
        assert fact.incident.timeline.get().data == {"fact": fact.pk, "from": src, "to": dst}
    else:
        with pytest.raises(InvalidTransition):
            services.fact_verify(actor=legal, fact=fact, status=dst)


def test_fact_cannot_go_back_to_unverified(legal):
    fact = FactFactory(incident=incident_in(Status.RESPONDING))
    with pytest.raises(ValidationError):
        services.fact_verify(actor=legal, fact=fact, status=FactStatus.UNVERIFIED)


@pytest.mark.parametrize(
    ("persona", "add", "verify"),
    [
        ("communicator", True, True),
        ("legal", True, True),
        ("team_lead", True, True),
        ("observer", False, False),
        ("outsider", False, False),
    ],
)
def test_fact_rights(personas, persona, add, verify):
    user = personas[persona]
    incident = incident_in(Status.INVESTIGATING)
    if add:
        fact = services.fact_add(actor=user, incident=incident, claim="Only batch 42 is affected", source="QA")
        assert fact.status == FactStatus.UNVERIFIED
    else:
        with pytest.raises(PermissionDenied):
            services.fact_add(actor=user, incident=incident, claim="x")
    fact = FactFactory(incident=incident)
    if verify:
        services.fact_verify(actor=user, fact=fact, status=FactStatus.CONFIRMED)
    else:
        with pytest.raises(PermissionDenied):
            services.fact_verify(actor=user, fact=fact, status=FactStatus.CONFIRMED)


def test_empty_claim_rejected(communicator):
    with pytest.raises(ValidationError) as excinfo:
        services.fact_add(actor=communicator, incident=incident_in(Status.INVESTIGATING), claim="  ")
    assert "claim" in excinfo.value.message_dict


# --- visibility ----------------------------------------------------------------------------------------


def test_visible_to(personas, confidential_incident, incident, admin_user):
    for name in ("communicator", "legal", "observer"):
        visible = set(Incident.objects.visible_to(personas[name]))
        assert visible == {incident}, name
    assert set(Incident.objects.visible_to(personas["team_lead"])) == {incident, confidential_incident}
    assert not Incident.objects.visible_to(personas["outsider"]).exists()
    assert set(Incident.objects.visible_to(admin_user)) == {incident, confidential_incident}


def test_membership_reveals_confidential_incident(observer, confidential_incident):
    assert not Incident.objects.visible_to(observer).filter(pk=confidential_incident.pk).exists()
    MembershipFactory(incident=confidential_incident, user=observer, role=role("scribe"))
    assert Incident.objects.visible_to(observer).filter(pk=confidential_incident.pk).exists()


def test_inactive_user_sees_nothing(incident):
    user = UserFactory(username="gone", role="Communicator", is_active=False)
    assert not Incident.objects.visible_to(user).exists()
