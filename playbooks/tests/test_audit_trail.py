"""Exercise status changes (and running one) are in the system audit trail."""

import pytest
from django.utils import timezone

from crisisdesk.audit.services import records_for
from crisisdesk.exceptions import InvalidTransition
from playbooks.models import ExerciseStatus
from playbooks.services import exercise_change_status, exercise_run, exercise_schedule
from playbooks.tests.playbook_helpers import active_playbook, second_team_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def playbook(team_lead):
    return active_playbook(author=second_team_lead(), approver=team_lead)


def test_status_changes_are_audited(team_lead, playbook):
    exercise = exercise_schedule(actor=team_lead, playbook=playbook, title="Q2 drill", scheduled_for=timezone.now())
    exercise_change_status(actor=team_lead, exercise=exercise, to_status=ExerciseStatus.COMPLETED)
    with pytest.raises(InvalidTransition):
        exercise_change_status(actor=team_lead, exercise=exercise, to_status=ExerciseStatus.CANCELLED)
    record = records_for(exercise).get()
    assert (record.action, record.actor, record.from_state, record.to_state) == (
        "exercise.status",
        team_lead,
        ExerciseStatus.SCHEDULED,
        ExerciseStatus.COMPLETED,
    )


def test_running_an_exercise_is_audited(team_lead, playbook):
    exercise = exercise_schedule(actor=team_lead, playbook=playbook, title="Q3 drill", scheduled_for=timezone.now())
    incident = exercise_run(actor=team_lead, exercise=exercise)
    record = records_for(exercise).get()
    assert (record.action, record.to_state, record.data) == (
        "exercise.run",
        incident.reference,
        {"incident": incident.pk},
    )
