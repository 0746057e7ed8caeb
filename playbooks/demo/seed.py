"""Seed playbooks' demo data (``loader``) through the services: key messages, roster, playbooks, exercise, activation.

``seed_key_messages`` runs before the crises (their statements reuse key messages) and only on
a fresh desk. ``seed_playbooks(users=...)`` is idempotent: what exists (looked up by name or
title) is left as it is, so running the command again adds nothing. It creates:

- a roster drawn from customer service, PR and marketing (plus Legal), each person with
  phone, backup, languages, written responsibilities and the incident roles they can hold;
- four playbooks (viral customer complaint, product recall, data breach, executive
  misconduct — the last in French), approved by a team lead who did not write them, with
  ordered steps, channels, escalation contacts and linked demo key messages; one is past
  its review date and one has a new version waiting in the team leads' review queue;
- a tabletop exercise, completed, with findings and follow-up actions;
- the viral-complaint playbook activated on the demo's "washing machine" incident seven
  hours ago: the first tasks are done, one is overdue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest import mock

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from crisisdesk import demo
from crisisdesk.review import services as review
from crisisdesk.review.models import ReviewStatus
from incidents.checklist.models import IncidentTask, PlaybookActivation, TaskStatus
from incidents.demo.seed import DEMO_INCIDENTS, delete_reviewed, demo_incidents
from incidents.demo.users import DEMO_USERNAMES
from incidents.models import IncidentRole, Status
from playbooks import services
from playbooks.demo.loader import (
    DemoActivation,
    DemoExercise,
    DemoKeyMessage,
    DemoPlaybook,
    load_exercise,
    load_key_messages,
    load_playbooks,
    load_roster,
)
from playbooks.keymessages.models import KeyMessage
from playbooks.keymessages.services import keymessage_create
from playbooks.models import Exercise, ExerciseStatus, Playbook
from playbooks.roster import services as roster_services
from playbooks.roster.models import Department, Person

# --- key messages ---------------------------------------------------------------------------------------------------


def demo_key_messages() -> QuerySet[KeyMessage]:
    """Key messages that belong to the demo: written by demo users."""
    return KeyMessage.objects.filter(created_by__username__in=DEMO_USERNAMES)


def delete_key_messages() -> None:
    """With ``--reset``, after the crises (whose statements point at key messages) are gone."""
    delete_reviewed(KeyMessage, list(demo_key_messages().values_list("pk", flat=True)))


def _seed_key_message(spec: DemoKeyMessage, users: dict, clock: dict, now: datetime) -> KeyMessage:
    today = timezone.localdate(now)
    written_at = now - spec.created_ago
    clock["now"] = written_at
    author = users[spec.author]
    key_message = keymessage_create(
        actor=author,
        kind=spec.kind,
        topic=spec.topic,
        title=spec.title,
        body=spec.body,
        language=spec.language,
        body_format=spec.body_format,
        valid_until=today + spec.valid_for if spec.valid_for is not None else None,
        review_due=today + spec.review_in if spec.review_in is not None else None,
    )
    if spec.submitted_after is not None:
        clock["now"] = written_at + spec.submitted_after
        review.review_submit(actor=author, item=key_message)
    if spec.approved_after is not None:
        clock["now"] = written_at + spec.approved_after
        key_message = KeyMessage.objects.select_related("current_revision").get(pk=key_message.pk)
        review.review_approve(actor=users[spec.reviewer], item=key_message, revision=key_message.current_revision)
    key_message.refresh_from_db()
    return key_message


@transaction.atomic
def seed_key_messages(*, users: dict, now: datetime) -> dict[str, KeyMessage]:
    """Every demo key message, written and reviewed at its time before ``now``; returns them by demo key."""
    clock = {"now": now}
    key_messages = {}
    with mock.patch("django.utils.timezone.now", new=lambda: clock["now"]):
        for spec in load_key_messages():
            with translation.override(spec.language):
                key_messages[spec.key] = _seed_key_message(spec, users, clock, now)
    return key_messages


# --- roster ---------------------------------------------------------------------------------------------------------


def seed_roster(*, users: dict) -> dict[str, Person]:
    """Departments and people (with backups and roles); existing ones are kept as they are."""
    descriptions, people_specs = load_roster()
    actor = users["lead"]
    departments = {}
    for name, description in descriptions.items():
        departments[name] = Department.objects.filter(name=name).first() or roster_services.department_create(
            actor=actor, name=name, description=description
        )
    roles = {role.code: role for role in IncidentRole.objects.all()}
    people = {}
    for spec in people_specs:
        person = Person.objects.filter(full_name=spec.full_name).first()
        if person is None:
            user = users.get(spec.username) if spec.username else None
            if user is not None and Person.objects.filter(user=user).exists():
                user = None  # someone else's roster entry already uses this login
            person = roster_services.person_create(
                actor=actor,
                full_name=spec.full_name,
                department=departments[spec.department],
                job_title=spec.job_title,
                phone=spec.phone,
                email=f"{spec.full_name.lower().replace(' ', '.')}@example.org".replace("é", "e").replace("è", "e"),
                languages=list(spec.languages),
                responsibilities=spec.responsibilities,
                user=user,
                roles=[(_role(roles, code, spec.full_name), priority) for code, priority in spec.roles],
            )
        people[spec.full_name] = person
    for spec in people_specs:
        person = people[spec.full_name]
        if spec.backup and person.backup_id is None:
            roster_services.person_update(actor=actor, person=person, backup=people[spec.backup])
    return people


def _role(roles: dict, code: str, who: str) -> IncidentRole:
    if code not in roles:
        raise demo.DemoDataError(f"{who}: {code!r} is not an incident role; known: {', '.join(roles)}")
    return roles[code]


# --- playbooks ------------------------------------------------------------------------------------------------------


def _approved_playbook(spec: DemoPlaybook, users: dict) -> Playbook:
    author, approver = users[spec.written_by], users[spec.approved_by]
    roles = {role.code: role for role in IncidentRole.objects.all()}
    key_messages = list(KeyMessage.objects.filter(topic__in=spec.key_messages, status=ReviewStatus.APPROVED))
    playbook = services.playbook_create(
        actor=author,
        title=spec.title,
        scenario=spec.scenario,
        language=spec.language,
        owner=users[spec.owner],
        review_due=timezone.localdate() + timedelta(days=spec.review_in_days),
        summary=spec.summary,
        trigger_criteria=spec.trigger_criteria,
        severity_guide=spec.severity_guide,
        channels=list(spec.channels),
        escalation_contacts=spec.escalation_contacts,
        key_messages=key_messages,
        steps=[
            {"title": what, "role": _role(roles, code, spec.title), "within_minutes": within, "instructions": text}
            for what, code, within, text in spec.steps
        ],
    )
    # Four eyes: one lead wrote it, the other approves the revision he read.
    version = playbook.versions.get()
    review.review_submit(actor=author, item=version)
    version.refresh_from_db()
    review.review_approve(actor=approver, item=version, revision=version.current_revision)
    if spec.next_version:
        editor = users[spec.next_version_by]
        draft = services.playbook_version_create(actor=editor, playbook=playbook)
        services.playbook_version_update(actor=editor, version=draft, **spec.next_version)
        review.review_submit(actor=editor, item=draft, comment=spec.next_version_comment)
    playbook.refresh_from_db()
    return playbook


def seed_playbook_list(*, users: dict) -> dict[str, Playbook]:
    """The demo playbooks by scenario; those that exist (by title) are kept as they are."""
    playbooks = {}
    for spec in load_playbooks():
        playbook = Playbook.objects.filter(title=spec.title).first()
        if playbook is None:
            with translation.override(spec.language):
                playbook = _approved_playbook(spec, users)
        playbooks[spec.scenario] = playbook
    return playbooks


# --- exercise and activation ----------------------------------------------------------------------------------------


def seed_exercise(*, users: dict, spec: DemoExercise, playbook: Playbook, people: dict[str, Person]) -> Exercise:
    """A drill held weeks ago, completed, with what it showed and what must follow."""
    exercise = Exercise.objects.filter(title=spec.title).first()
    if exercise is not None:
        return exercise
    actor = users[spec.scheduled_by]
    exercise = services.exercise_schedule(
        actor=actor,
        playbook=playbook,
        title=spec.title,
        scheduled_for=timezone.now() - spec.held_ago,
        participants=[people[name] for name in spec.participants],
    )
    exercise = services.exercise_update(
        actor=actor, exercise=exercise, findings=spec.findings, follow_up_actions=spec.follow_up_actions
    )
    return services.exercise_change_status(actor=actor, exercise=exercise, to_status=ExerciseStatus.COMPLETED)


def seed_activation(*, users: dict, spec: DemoActivation, playbook: Playbook):
    """Activate a playbook on a demo crisis (looked up by its title), its first tasks done before their deadline.

    The clock is moved back so deadlines are real: with the demo's data, the first four
    tasks were done, the briefing of customer care is overdue, the last task is still ahead.
    """
    from incidents.checklist.services import playbook_activate, task_complete

    title = next((s.title for s in DEMO_INCIDENTS if s.key == spec.incident), None)
    if title is None:
        raise demo.DemoDataError(f"activation: no demo crisis has the scenario key {spec.incident!r}")
    incident = demo_incidents().filter(title=title).exclude(status=Status.CLOSED).first()
    if incident is None or PlaybookActivation.objects.filter(incident=incident, playbook=playbook).exists():
        return None
    activated_at = max(incident.detected_at + spec.after_detection, timezone.now() - spec.at_most_ago)
    clock = {"now": activated_at}
    with mock.patch("django.utils.timezone.now", new=lambda: clock["now"]):
        activation, _created = playbook_activate(actor=users[spec.by], incident=incident, playbook=playbook)
        tasks = list(IncidentTask.objects.filter(activation=activation).order_by("position"))
        for task, note in zip(tasks, spec.task_notes, strict=False):
            # Each one done a little before its deadline.
            clock["now"] = task.due_at - spec.done_before_due
            task_complete(actor=users[spec.done_by], task=task, note=note)
    return activation


@transaction.atomic
def seed_playbooks(*, users: dict) -> dict[str, int]:
    """Roster, playbooks, a completed exercise and one activation; safe to run again. Returns counts."""
    people = seed_roster(users=users)
    playbooks = seed_playbook_list(users=users)
    exercise, activation = load_exercise()
    seed_exercise(users=users, spec=exercise, playbook=playbooks[exercise.playbook], people=people)
    seed_activation(users=users, spec=activation, playbook=playbooks[activation.playbook])
    return {
        "people": len(people),
        "playbooks": len(playbooks),
        "open_tasks": IncidentTask.objects.filter(status=TaskStatus.OPEN, activation__playbook__in=playbooks.values())
        .distinct()
        .count(),
    }
