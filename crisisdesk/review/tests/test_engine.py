"""The review engine through its services: every transition for every persona, four eyes, hashes, audit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review import services as review
from crisisdesk.review.models import (
    Action,
    AuditEvent,
    ReviewDecision,
    ReviewRequest,
    ReviewRequestStatus,
    ReviewStatus,
    Revision,
)
from crisisdesk.roles import COMMUNICATOR, LEGAL
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, UserFactory, role
from incidents.models import Incident, Severity, TimelineEntry, TimelineKind
from incidents.statements.models import Statement
from incidents.statements.services import statement_update

from .helpers import make_statement, second_legal, statement_in

pytestmark = pytest.mark.django_db

S = ReviewStatus
STATES = list(S.values)


@pytest.fixture
def build(incident, communicator, legal, team_lead):
    """``build(status)`` → a statement by the communicator, reviewed by legal, in that status."""

    def _build(status, **kwargs):
        return statement_in(
            status,
            author=communicator,
            reviewer=legal,
            publisher=communicator,
            withdrawer=team_lead,
            incident=kwargs.pop("incident", incident),
            **kwargs,
        )

    return _build


def run(action: str, *, actor, item):
    """Call the service for ``action`` with plausible arguments."""
    if action == Action.EDIT:
        return statement_update(actor=actor, statement=item, body=item.body + " Update.")
    if action == Action.SUBMIT:
        return review.review_submit(actor=actor, item=item)
    if action == Action.APPROVE:
        return review.review_approve(actor=actor, item=item, revision=item.current_revision)
    if action == Action.REQUEST_CHANGES:
        return review.review_request_changes(actor=actor, item=item, comment="Soften the second sentence.")
    if action == Action.REJECT:
        return review.review_reject(actor=actor, item=item, comment="We do not comment on this.")
    if action == Action.PUBLISH:
        return review.review_publish(actor=actor, item=item)
    if action == Action.WITHDRAW:
        return review.review_withdraw(actor=actor, item=item, reason="Facts changed.")
    raise AssertionError(action)


# Who may do each action on a communicator's statement of an ordinary (severity 3) incident.
ALLOWED = {
    Action.EDIT: {"communicator", "team_lead"},
    Action.SUBMIT: {"communicator", "team_lead"},
    Action.APPROVE: {"legal"},
    Action.REQUEST_CHANGES: {"legal"},
    Action.REJECT: {"legal"},
    Action.PUBLISH: {"communicator", "team_lead"},
    Action.WITHDRAW: {"legal", "team_lead"},
}
FROM_STATE = {
    Action.EDIT: S.APPROVED,
    Action.SUBMIT: S.DRAFT,
    Action.APPROVE: S.IN_REVIEW,
    Action.REQUEST_CHANGES: S.IN_REVIEW,
    Action.REJECT: S.IN_REVIEW,
    Action.PUBLISH: S.APPROVED,
    Action.WITHDRAW: S.PUBLISHED,
}
PERSONA_CASES = [
    (action, persona)
    for action in ALLOWED
    for persona in ("communicator", "legal", "team_lead", "observer", "outsider")
]


def test_transition_table_only_names_known_states():
    for action, moves in review.TRANSITIONS.items():
        assert action in Action.values
        assert set(moves) <= set(STATES)
        assert set(moves.values()) <= set(STATES)
    # Terminal states: nothing leaves them.
    for terminal in (S.REJECTED, S.WITHDRAWN):
        assert not any(terminal in moves for moves in review.TRANSITIONS.values())


@pytest.mark.parametrize(("action", "persona"), PERSONA_CASES)
def test_every_action_for_every_persona(build, people, action, persona):
    statement = build(FROM_STATE[action])
    before = statement.status
    events_before = AuditEvent.objects.count()
    actor = people[persona]

    if persona in ALLOWED[action]:
        run(action, actor=actor, item=statement)
        statement.refresh_from_db()
        expected = review.TRANSITIONS[action][before]
        if action == Action.EDIT:
            expected = S.DRAFT
        assert statement.status == expected
        assert AuditEvent.objects.count() > events_before
    else:
        with pytest.raises(PermissionDenied):
            run(action, actor=actor, item=statement)
        statement.refresh_from_db()
        assert statement.status == before
        assert AuditEvent.objects.count() == events_before


FORBIDDEN = [(action, state) for action in ALLOWED for state in STATES if state not in review.TRANSITIONS[action]]


@pytest.mark.parametrize(("action", "state"), FORBIDDEN)
def test_every_forbidden_transition_is_refused(build, legal, team_lead, action, state):
    statement = build(state)
    actor = {Action.APPROVE: None, Action.REQUEST_CHANGES: None, Action.REJECT: None}.get(action, team_lead)
    actor = actor or second_legal()
    events_before = AuditEvent.objects.count()

    with pytest.raises(InvalidTransition) as excinfo:
        run(action, actor=actor, item=statement)

    assert excinfo.value.current == state
    statement.refresh_from_db()
    assert statement.status == state
    assert AuditEvent.objects.count() == events_before


# --- four eyes ----------------------------------------------------------------------------------


def test_author_cannot_approve_even_with_the_legal_role(incident):
    author = UserFactory(username="comms_and_legal", role=LEGAL)
    author.groups.add(*UserFactory(username="c", role=COMMUNICATOR).groups.all())
    statement = make_statement(author=author, incident=incident)
    review.review_submit(actor=author, item=statement)
    statement.refresh_from_db()

    with pytest.raises(PermissionDenied):
        review.review_approve(actor=author, item=statement, revision=statement.current_revision)

    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW
    assert not ReviewDecision.objects.exists()


def test_last_editor_cannot_approve(incident, communicator, legal):
    editor = UserFactory(username="legal_editor", role=LEGAL)
    editor.groups.add(communicator.groups.get())
    statement = make_statement(author=communicator, incident=incident)
    statement = statement_update(actor=editor, statement=statement, body="A better sentence.")
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()
    assert statement.current_revision.created_by == editor

    with pytest.raises(PermissionDenied):
        review.review_approve(actor=editor, item=statement, revision=statement.current_revision)
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)

    statement.refresh_from_db()
    assert statement.status == S.APPROVED


def test_anyone_who_edited_an_earlier_revision_cannot_approve(incident, communicator):
    editor = UserFactory(username="legal_editor", role=LEGAL)
    editor.groups.add(communicator.groups.get())
    statement = make_statement(author=communicator, incident=incident)
    statement = statement_update(actor=editor, statement=statement, body="Their words.")
    statement = statement_update(actor=communicator, statement=statement, body="Our words again.")
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()

    with pytest.raises(PermissionDenied):
        review.review_approve(actor=editor, item=statement, revision=statement.current_revision)


def test_superuser_is_not_legal(build, admin_user):
    statement = build(S.IN_REVIEW)
    with pytest.raises(PermissionDenied):
        review.review_approve(actor=admin_user, item=statement, revision=statement.current_revision)
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


# --- severity 1 ------------------------------------------------------------------------------------


@pytest.fixture
def critical_incident(team_lead):
    incident = IncidentFactory(severity=Severity.CRITICAL, lead=team_lead)
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    return incident


def test_severity_1_needs_legal_and_the_incident_lead(critical_incident, communicator, legal, team_lead):
    statement = make_statement(author=communicator, incident=critical_incident)
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()

    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW
    assert [r.code for r in review.missing_requirements(statement)] == ["incident_lead"]
    with pytest.raises(InvalidTransition):
        review.review_approve(actor=second_legal(), item=statement, revision=statement.current_revision)
    with pytest.raises(InvalidTransition):
        review.review_publish(actor=communicator, item=statement)

    review.review_approve(actor=team_lead, item=statement, revision=statement.current_revision)
    statement.refresh_from_db()
    assert statement.status == S.APPROVED
    assert sorted(d.role for d in statement.decisions()) == ["incident_lead", "legal"]
    review.review_publish(actor=communicator, item=statement)
    statement.refresh_from_db()
    assert statement.status == S.PUBLISHED


def test_severity_1_lead_who_wrote_it_cannot_give_the_lead_approval(critical_incident, team_lead, legal):
    statement = make_statement(author=team_lead, incident=critical_incident)
    review.review_submit(actor=team_lead, item=statement)
    statement.refresh_from_db()
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)

    with pytest.raises(PermissionDenied):
        review.review_approve(actor=team_lead, item=statement, revision=statement.current_revision)
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


def test_one_person_holding_both_roles_counts_once(critical_incident, communicator):
    lead_and_legal = UserFactory(username="both", role=LEGAL)
    critical_incident.lead = lead_and_legal
    critical_incident.save()
    statement = make_statement(author=communicator, incident=critical_incident)
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()

    review.review_approve(actor=lead_and_legal, item=statement, revision=statement.current_revision)
    with pytest.raises(InvalidTransition):
        review.review_approve(actor=lead_and_legal, item=statement, revision=statement.current_revision)
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


def test_severity_raised_after_approval_blocks_publish_until_the_lead_approves(
    build, incident, team_lead, communicator
):
    statement = build(S.APPROVED)
    Incident.objects.filter(pk=incident.pk).update(severity=Severity.CRITICAL, lead=team_lead)

    with pytest.raises(InvalidTransition, match="Incident lead"):
        review.review_publish(actor=communicator, item=statement)
    review.review_approve(actor=team_lead, item=statement, revision=statement.current_revision)
    review.review_publish(actor=communicator, item=statement)

    statement.refresh_from_db()
    assert statement.status == S.PUBLISHED


# --- approvals are bound to the revision and its hash ------------------------------------------------


def test_edit_after_approval_voids_it_and_returns_to_draft(build, communicator, legal):
    statement = build(S.APPROVED)
    approved_revision = statement.current_revision

    statement = statement_update(actor=communicator, statement=statement, body=statement.body + "!")

    assert statement.status == S.DRAFT
    assert statement.current_revision.number == approved_revision.number + 1
    assert statement.current_revision.content_hash != approved_revision.content_hash
    assert [r.code for r in review.missing_requirements(statement)] == ["legal"]
    edit = statement.audit_events().first()
    assert (edit.action, edit.from_state, edit.to_state, edit.data["voided_approval"]) == (
        "edit",
        "approved",
        "draft",
        True,
    )
    with pytest.raises(InvalidTransition):
        review.review_publish(actor=communicator, item=statement)


def test_edit_during_review_cancels_the_review_round(build, communicator):
    statement = build(S.IN_REVIEW)
    statement_update(actor=communicator, statement=statement, title="New title")
    assert ReviewRequest.objects.get().status == ReviewRequestStatus.CANCELLED
    statement.refresh_from_db()
    assert statement.status == S.DRAFT


def test_an_edit_that_changes_nothing_makes_no_revision(build, communicator):
    statement = build(S.APPROVED)
    statement_update(actor=communicator, statement=statement, body=statement.body)
    statement.refresh_from_db()
    assert statement.status == S.APPROVED
    assert statement.revisions().count() == 1


def test_approving_a_stale_revision_is_refused(build, communicator, legal):
    statement = build(S.IN_REVIEW)
    seen = statement.current_revision
    statement_update(actor=communicator, statement=statement, body="Changed while legal was reading.")
    review.review_submit(actor=communicator, item=statement)

    with pytest.raises(InvalidTransition, match="changed"):
        review.review_approve(actor=legal, item=statement, revision=seen)
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


def test_publish_rechecks_approvals_against_the_current_hash(build, communicator):
    """A bug that set the status without approvals (here: a raw update) still cannot publish."""
    statement = build(S.DRAFT)
    Statement.objects.filter(pk=statement.pk).update(status=S.APPROVED)

    with pytest.raises(InvalidTransition, match="Legal"):
        review.review_publish(actor=communicator, item=statement)
    statement.refresh_from_db()
    assert statement.status == S.APPROVED
    assert statement.published_revision is None


def test_publish_refuses_an_approval_of_another_revision(build, communicator):
    statement = build(S.APPROVED)
    other = Revision.objects.create(
        content_type=statement.current_revision.content_type,
        object_id=statement.pk,
        number=2,
        content={"body": "sneaked in"},
        content_hash="0" * 64,
        text_hash="0" * 64,
        created_by=communicator,
    )
    Statement.objects.filter(pk=statement.pk).update(current_revision=other)

    with pytest.raises(InvalidTransition):
        review.review_publish(actor=communicator, item=statement)


def test_publish_records_the_revision_and_the_first_response_clock(build, communicator, incident):
    statement = build(S.APPROVED)
    review.review_publish(actor=communicator, item=statement)
    statement.refresh_from_db()
    incident.refresh_from_db()

    assert statement.published_revision == statement.current_revision
    assert statement.published_by == communicator
    assert incident.first_public_response_at == statement.published_at

    first = incident.first_public_response_at
    second = statement_in(
        S.PUBLISHED,
        author=communicator,
        reviewer=second_legal(),
        publisher=communicator,
        withdrawer=None,
        incident=incident,
        title="Second",
    )
    incident.refresh_from_db()
    assert second.published_at > first
    assert incident.first_public_response_at == first


def test_exercise_gets_the_clock_too(communicator, legal):
    drill = IncidentFactory(is_exercise=True)
    statement = statement_in(
        S.PUBLISHED, author=communicator, reviewer=legal, publisher=communicator, withdrawer=None, incident=drill
    )
    drill.refresh_from_db()
    assert drill.first_public_response_at == statement.published_at
    assert not Statement.objects.public().exists()


def test_request_changes_and_reject_need_a_comment(build, legal):
    statement = build(S.IN_REVIEW)
    with pytest.raises(ValidationError):
        review.review_request_changes(actor=legal, item=statement, comment=" ")
    with pytest.raises(ValidationError):
        review.review_reject(actor=legal, item=statement, comment="")
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


def test_changes_requested_then_resubmitted_then_approved(build, communicator, legal):
    statement = build(S.IN_REVIEW)
    review.review_request_changes(actor=legal, item=statement, comment="Add an apology.")
    statement = statement_update(actor=communicator, statement=statement, body="We are sorry. " + statement.body)
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
    statement.refresh_from_db()
    assert statement.status == S.APPROVED
    assert list(ReviewRequest.objects.values_list("status", flat=True)) == [
        ReviewRequestStatus.CHANGES_REQUESTED,
        ReviewRequestStatus.APPROVED,
    ]


def test_withdraw_an_approved_statement_shelves_it(build, team_lead):
    statement = build(S.APPROVED)
    review.review_withdraw(actor=team_lead, item=statement, reason="Situation changed.")
    statement.refresh_from_db()
    assert statement.status == S.WITHDRAWN
    assert statement.published_revision is None
    assert not Statement.objects.public().exists()


def test_confidential_incident_hides_the_statement_from_non_member_legal(confidential_incident, team_lead, legal):
    statement = make_statement(author=team_lead, incident=confidential_incident)
    review.review_submit(actor=team_lead, item=statement)
    statement.refresh_from_db()

    with pytest.raises(PermissionDenied):
        review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
    MembershipFactory(incident=confidential_incident, user=legal, role=role("legal"))
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
    statement.refresh_from_db()
    assert statement.status == S.APPROVED


# --- audit trail, timeline, notifications -------------------------------------------------------------


def test_every_transition_writes_an_audit_event_and_a_timeline_entry(incident, communicator, legal, team_lead):
    statement = make_statement(author=communicator, incident=incident)
    review.review_submit(actor=communicator, item=statement, ip_address="203.0.113.7")
    statement.refresh_from_db()
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision, comment="Fine.")
    review.review_publish(actor=communicator, item=statement)
    review.review_withdraw(actor=team_lead, item=statement, reason="Recall announced.")

    events = list(statement.audit_events().order_by("created_at", "id"))
    assert [(e.action, e.from_state, e.to_state, e.actor) for e in events] == [
        ("create", "", "draft", communicator),
        ("submit", "draft", "in_review", communicator),
        ("approve", "in_review", "approved", legal),
        ("publish", "approved", "published", communicator),
        ("withdraw", "published", "withdrawn", team_lead),
    ]
    assert events[1].ip_address == "203.0.113.7"
    assert events[2].comment == "Fine."
    assert events[4].comment == "Recall announced."
    assert all(e.incident_id == incident.pk and e.revision_id for e in events)
    entries = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.STATEMENT).order_by("created_at", "id")
    assert [entry.data["action"] for entry in entries] == ["create", "submit", "approve", "publish", "withdraw"]
    assert entries.last().author == team_lead


def test_audit_trail_is_append_only(build):
    statement = build(S.APPROVED)
    assert ReviewDecision.objects.exists() and Revision.objects.exists()
    event = statement.audit_events().first()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(comment="rewritten")
    for table in ("review_auditevent", "review_revision", "review_reviewdecision"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET created_at = %s", [timezone.now()])  # noqa: S608 (constant names)
    assert AuditEvent.objects.get(pk=event.pk).comment == event.comment


def test_database_rejects_a_published_row_without_a_published_revision(build):
    statement = build(S.APPROVED)
    with pytest.raises(IntegrityError, match="published_has_revision"), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(status=S.PUBLISHED, published_at=timezone.now())
    with pytest.raises(IntegrityError, match="withdrawn_has_time"), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(status=S.WITHDRAWN)
    with pytest.raises(IntegrityError, match="status_valid"), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(status="live")
    statement.refresh_from_db()
    assert statement.status == S.APPROVED


def test_database_allows_one_open_review_round_and_unique_revision_numbers(build, communicator):
    statement = build(S.IN_REVIEW)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewRequest.objects.create(
            content_type=statement.current_revision.content_type,
            object_id=statement.pk,
            revision=statement.current_revision,
            submitted_by=communicator,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.create(
            content_type=statement.current_revision.content_type,
            object_id=statement.pk,
            number=1,
            content={},
            content_hash="x",
            text_hash="x",
            created_by=communicator,
        )


def test_notifications_go_out_after_commit(
    incident, communicator, legal, mailoutbox, django_capture_on_commit_callbacks
):
    legal.email, communicator.email = "legal@example.org", "comms@example.org"
    legal.save()
    communicator.save()
    statement = make_statement(author=communicator, incident=incident)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        review.review_submit(actor=communicator, item=statement)
    assert mailoutbox == []  # nothing is sent inside the transaction
    for callback in callbacks:
        callback()
    assert [m.to for m in mailoutbox] == [["legal@example.org"]]

    statement.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        review.review_request_changes(actor=legal, item=statement, comment="Shorter, please.")
    assert mailoutbox[-1].to == ["comms@example.org"]
    assert "Shorter, please." in mailoutbox[-1].body


def test_available_actions_match_what_the_services_allow(build, communicator, legal, observer):
    statement = build(S.IN_REVIEW)
    assert review.available_actions(user=legal, item=statement) == ["approve", "request_changes", "reject"]
    assert review.available_actions(user=communicator, item=statement) == ["edit"]
    assert review.available_actions(user=observer, item=statement) == []
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
    statement.refresh_from_db()
    assert review.available_actions(user=communicator, item=statement) == ["edit", "publish"]
