"""Exercises: schedule, record, run as an exercise incident that never reaches the newsroom or webhooks."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review import services as review
from crisisdesk.review.tests.helpers import make_statement
from crisisdesk.webhooks.models import OutboxEvent
from incidents.services import incident_open
from incidents.statements.models import Statement
from playbooks.models import ExerciseStatus
from playbooks.roster.services import person_create
from playbooks.services import exercise_change_status, exercise_run, exercise_schedule, exercise_update
from playbooks.tests.playbook_helpers import active_playbook, second_team_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def playbook(team_lead):
    return active_playbook(author=second_team_lead(), approver=team_lead)


def test_schedule_record_complete(team_lead, playbook):
    person = person_create(actor=team_lead, full_name="Amira Haddad")
    exercise = exercise_schedule(
        actor=team_lead, playbook=playbook, title="Q2 drill", scheduled_for=timezone.now(), participants=[person]
    )
    exercise_update(
        actor=team_lead,
        exercise=exercise,
        findings="Spokesperson unreachable for 40 minutes.",
        follow_up_actions="Name a backup spokesperson.",
    )
    exercise = exercise_change_status(actor=team_lead, exercise=exercise, to_status=ExerciseStatus.COMPLETED)
    assert exercise.completed_at is not None and list(exercise.participants.all()) == [person]
    with pytest.raises(InvalidTransition):
        exercise_change_status(actor=team_lead, exercise=exercise, to_status=ExerciseStatus.CANCELLED)


@pytest.mark.parametrize("persona", ["communicator", "legal", "observer", "outsider"])
def test_only_team_leads_schedule_and_run(personas, playbook, team_lead, persona):
    user = personas[persona]
    with pytest.raises(PermissionDenied):
        exercise_schedule(actor=user, playbook=playbook, title="x", scheduled_for=timezone.now())
    exercise = exercise_schedule(actor=team_lead, playbook=playbook, title="x", scheduled_for=timezone.now())
    with pytest.raises(PermissionDenied):
        exercise_run(actor=user, exercise=exercise)


def test_run_as_exercise_opens_flagged_incident_and_activates(team_lead, playbook):
    exercise = exercise_schedule(actor=team_lead, playbook=playbook, title="Drill", scheduled_for=timezone.now())
    incident = exercise_run(actor=team_lead, exercise=exercise)
    assert incident.is_exercise and incident.lead == team_lead
    assert incident.tasks.count() == 3
    with pytest.raises(InvalidTransition):
        exercise_run(actor=team_lead, exercise=exercise)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_run_locks_the_exercise_in_its_own_transaction(team_lead, playbook):
    """Called outside any transaction (as an API request is), ``exercise_run`` opens one for its row lock.

    Found by schemathesis: without ``@transaction.atomic`` PostgreSQL refused the SELECT … FOR UPDATE (500).
    """
    exercise = exercise_schedule(actor=team_lead, playbook=playbook, title="Drill", scheduled_for=timezone.now())
    incident = exercise_run(actor=team_lead, exercise=exercise)
    assert incident.is_exercise


def test_exercise_incident_never_reaches_newsroom_or_webhooks(team_lead, legal, communicator, playbook):
    exercise = exercise_schedule(actor=team_lead, playbook=playbook, title="Drill", scheduled_for=timezone.now())
    incident = exercise_run(actor=team_lead, exercise=exercise)
    statement = make_statement(author=communicator, incident=incident)
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
    review.review_publish(actor=communicator, item=statement)
    statement.refresh_from_db()
    assert statement.status == "published"  # everything works inside the drill…
    assert not Statement.objects.public().filter(pk=statement.pk).exists()  # …nothing leaves the building
    assert not OutboxEvent.objects.filter(incident=incident).exists()
    # The same path for a real incident does reach the outbox: the test above is not vacuous.
    real = incident_open(actor=team_lead, title="Real crisis")
    assert OutboxEvent.objects.filter(incident=real).exists()
