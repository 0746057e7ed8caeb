"""Activating a playbook on an incident: tasks with assignees and deadlines, idempotence, complete / skip."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, UserFactory, role
from incidents import services as incident_services
from incidents.checklist.models import IncidentTask, PlaybookActivation, TaskStatus
from incidents.checklist.services import (
    playbook_activate,
    task_assign,
    task_complete,
    task_reopen,
    task_skip,
)
from incidents.models import Status, TimelineEntry, TimelineKind
from playbooks.tests.playbook_helpers import active_playbook, make_playbook, second_team_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def playbook(team_lead):
    return active_playbook(author=second_team_lead(), approver=team_lead)


def test_activation_creates_tasks_with_deadlines_and_assignees(team_lead, communicator, incident, playbook):
    MembershipFactory(incident=incident, user=communicator, role=role("communications"))
    with time_machine.travel("2026-03-10 08:00Z", tick=False):
        activation, created = playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
        now = timezone.now()
    assert created and activation.version == playbook.active_version
    tasks = list(incident.tasks.order_by("position"))
    assert [t.due_at - now for t in tasks] == [timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=60)]
    assert [t.assignee for t in tasks] == [communicator, None, None]
    assert {t.status for t in tasks} == {TaskStatus.OPEN}
    entry = incident.timeline.get(kind=TimelineKind.TASK)
    assert "3 tasks" in entry.body


def test_activating_twice_does_not_duplicate(team_lead, incident, playbook):
    playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    activation, created = playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    assert not created
    assert incident.tasks.count() == 3
    assert PlaybookActivation.objects.count() == 1
    assert incident.timeline.filter(kind=TimelineKind.TASK).count() == 1


def test_database_refuses_a_duplicate_task(team_lead, incident, playbook):
    playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    task = incident.tasks.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentTask.objects.create(
            incident=incident,
            activation=task.activation,
            step=task.step,
            position=9,
            title="dup",
            due_at=task.due_at,
        )


def test_overdue_follows_the_clock(team_lead, incident, playbook):
    with time_machine.travel("2026-03-10 08:00Z", tick=False):
        playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    first = incident.tasks.order_by("position").first()
    with time_machine.travel("2026-03-10 08:14Z", tick=False):
        assert not first.is_overdue()
    with time_machine.travel("2026-03-10 08:16Z", tick=False):
        assert first.is_overdue()
        task_complete(actor=team_lead, task=first)
        first.refresh_from_db()
        assert not first.is_overdue()
    assert incident.timeline.filter(kind=TimelineKind.TASK, data__late=True).exists()


def test_incident_lead_may_activate(communicator, playbook):
    incident = incident_services.incident_open(actor=communicator, title="Recall rumour", lead=communicator)
    _, created = playbook_activate(actor=communicator, incident=incident, playbook=playbook)
    assert created
    assert incident.tasks.count() == 3


def test_needs_an_approved_version(team_lead, incident):
    draft_only = make_playbook(author=team_lead, title="Draft only")
    with pytest.raises(InvalidTransition):
        playbook_activate(actor=team_lead, incident=incident, playbook=draft_only)


@pytest.mark.parametrize(
    ("persona", "activate", "complete"),
    [
        ("communicator", False, True),
        ("legal", False, False),
        ("team_lead", True, True),
        ("observer", False, False),
        ("outsider", False, False),
    ],
)
def test_permissions_per_persona(personas, team_lead, incident, playbook, persona, activate, complete):
    user = personas[persona]
    if activate:
        playbook_activate(actor=user, incident=incident, playbook=playbook)
    else:
        with pytest.raises(PermissionDenied):
            playbook_activate(actor=user, incident=incident, playbook=playbook)
        playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    task = incident.tasks.first()
    if complete:
        task_complete(actor=user, task=task)
    else:
        with pytest.raises(PermissionDenied):
            task_complete(actor=user, task=task)
        with pytest.raises(PermissionDenied):
            task_skip(actor=user, task=task, reason="n/a")


def test_member_and_assignee_may_complete(legal, team_lead, incident, playbook):
    playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    task = incident.tasks.first()
    task_assign(actor=team_lead, task=task, assignee=legal)
    task_complete(actor=legal, task=task, note="Checked with R&D.")
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_by == legal


def test_skip_needs_a_reason_and_writes_timeline(team_lead, incident, playbook):
    playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    task = incident.tasks.order_by("position").last()
    with pytest.raises(ValidationError):
        task_skip(actor=team_lead, task=task, reason="  ")
    task_skip(actor=team_lead, task=task, reason="No customer contact yet.")
    entry = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.TASK).first()
    assert "No customer contact yet." in entry.body
    with pytest.raises(InvalidTransition):
        task_complete(actor=team_lead, task=task)
    task_reopen(actor=team_lead, task=task)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.completed_at is None


def test_assignee_must_see_the_incident(team_lead, confidential_incident, playbook, communicator):
    playbook_activate(actor=team_lead, incident=confidential_incident, playbook=playbook)
    task = confidential_incident.tasks.first()
    with pytest.raises(ValidationError):
        task_assign(actor=team_lead, task=task, assignee=communicator)
    with pytest.raises(PermissionDenied):
        task_assign(actor=communicator, task=task, assignee=team_lead)


def test_closed_incident_refuses_activation(team_lead, playbook):
    incident = IncidentFactory(
        status=Status.CLOSED, acknowledged_at=timezone.now(), resolved_at=timezone.now(), closed_at=timezone.now()
    )
    with pytest.raises(PermissionDenied):
        playbook_activate(actor=team_lead, incident=incident, playbook=playbook)


def test_outsider_is_not_assignable(team_lead, incident, playbook):
    playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    with pytest.raises(ValidationError):
        task_assign(actor=team_lead, task=incident.tasks.first(), assignee=UserFactory(username="nobody"))
