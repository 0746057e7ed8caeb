"""Playbook activation and the incident checklist: every write to incident tasks.

Activating a playbook on an incident copies the steps of its active (approved)
version into tasks: each gets the incident member who holds the step's role as
assignee (editable afterwards), a deadline of activation time + the step's minutes,
and the status ``open``. Completing or skipping a task (skipping needs a reason)
writes the incident timeline in the same transaction. All functions lock the
incident row first, then the task, like ``incidents.services``.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.notifications import kinds as notification_kinds
from crisisdesk.notifications.messages import message
from crisisdesk.notifications.services import notify
from incidents import permissions, timeline
from incidents.checklist.models import IncidentTask, PlaybookActivation, TaskStatus
from incidents.models import LEAD_ROLE_CODE, Incident, Membership, Status, TimelineEntry, TimelineKind
from incidents.services import display_name

# The checklist workflow: an open task is done or skipped; a closed one may be reopened by mistake-fixers.
TASK_TRANSITIONS: dict[str, tuple[str, ...]] = {
    TaskStatus.OPEN: (TaskStatus.DONE, TaskStatus.SKIPPED),
    TaskStatus.DONE: (TaskStatus.OPEN,),
    TaskStatus.SKIPPED: (TaskStatus.OPEN,),
}


# --- who may ------------------------------------------------------------------------------------------------------


def can_view_tasks(user, incident: Incident) -> bool:
    return permissions.can_view(user, incident) and user.has_perm("incidents.view_incidenttask")


def can_activate(user, incident: Incident) -> bool:
    """Activate a playbook: a team lead, or this incident's lead; never on a closed incident."""
    return (
        permissions.can_manage(user, incident)
        and user.has_perm("playbooks.view_playbook")
        and incident.status != Status.CLOSED
    )


def can_work_task(user, task: IncidentTask, incident: Incident | None = None) -> bool:
    """Complete, skip or reopen a task: communicators and team leads, the incident's team, and the assignee."""
    incident = incident or task.incident
    return (
        permissions.can_view(user, incident)
        and incident.status != Status.CLOSED
        and (
            user.has_perm("incidents.complete_incidenttask")
            or task.assignee_id == user.pk
            or permissions.is_member(user, incident)
        )
    )


def can_assign_task(user, incident: Incident) -> bool:
    return permissions.can_manage(user, incident) and incident.status != Status.CLOSED


# --- helpers ------------------------------------------------------------------------------------------------------


def _lock_incident(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _lock_task(task: IncidentTask) -> tuple[Incident, IncidentTask]:
    # Lock order incident → task, as every incident service: no deadlock with an activation.
    incident = _lock_incident(task.incident)
    return incident, IncidentTask.objects.select_for_update(of=("self",)).select_related("assignee", "role").get(
        pk=task.pk
    )


PLAYBOOK_ACTIVATED = timeline.event(
    "checklist.playbook_activated", gettext_lazy("Playbook “%(title)s” v%(number)s activated: %(count)d tasks.")
)
TASK_DONE = timeline.event("checklist.task_done", gettext_lazy("Task done: %(title)s"))
TASK_SKIPPED = timeline.event("checklist.task_skipped", gettext_lazy("Task skipped: %(title)s — %(reason)s"))
TASK_REOPENED = timeline.event("checklist.task_reopened", gettext_lazy("Task reopened: %(title)s"))
TASK_ASSIGNED = timeline.event(
    "checklist.task_assigned",
    gettext_lazy("Task “%(title)s” assigned to %(who)s."),
    # Nobody is a word of the reader's language; a person's name is not.
    {"who": lambda who: who or _("nobody")},
)


TASK_ASSIGNED_KIND = "task.assigned"


def register_notification_kinds() -> None:
    """The checklist's notification kinds (``IncidentsConfig.ready()``)."""
    notification_kinds.register(TASK_ASSIGNED_KIND, gettext_lazy("Task assigned"))


def _log(*, incident, actor, event: timeline.Event, params: dict, data: dict) -> TimelineEntry:
    return timeline.log(incident=incident, kind=TimelineKind.TASK, event=event, params=params, actor=actor, data=data)


def _assignees_by_role(incident: Incident) -> dict[int, object]:
    """The first member (by time added) holding each role; the incident lead for the lead role."""
    assignees: dict[int, object] = {}
    memberships = Membership.objects.filter(incident=incident).select_related("user", "role").order_by("added_at", "id")
    for membership in memberships:
        assignees.setdefault(membership.role_id, membership.user)
    if incident.lead_id is not None:
        for membership in memberships:
            if membership.role.code == LEAD_ROLE_CODE:
                assignees[membership.role_id] = incident.lead
    return assignees


# --- services -----------------------------------------------------------------------------------------------------


@transaction.atomic
def playbook_activate(*, actor, incident: Incident, playbook) -> tuple[PlaybookActivation, bool]:
    """Turn the playbook's active version into this incident's tasks; a second activation creates nothing.

    Returns ``(activation, created)``. The incident row lock serialises concurrent
    activations; the unique constraints on activation and (incident, step) back it up.
    """
    incident = _lock_incident(incident)
    if not can_activate(actor, incident):
        raise PermissionDenied(_("Only a team lead or this incident's lead may activate a playbook."))
    existing = PlaybookActivation.objects.filter(incident=incident, playbook=playbook).first()
    if existing is not None:
        return existing, False
    version = playbook.active_version
    if version is None:
        raise InvalidTransition(_("This playbook has no approved version yet."))
    steps = list(version.steps.select_related("role").order_by("position"))
    if not steps:
        raise ValidationError({"playbook": _("This playbook version has no steps.")})
    now = timezone.now()
    activation = PlaybookActivation.objects.create(
        incident=incident, playbook=playbook, version=version, activated_by=actor, activated_at=now
    )
    assignees = _assignees_by_role(incident)
    IncidentTask.objects.bulk_create(
        [
            IncidentTask(
                incident=incident,
                activation=activation,
                step=step,
                position=step.position,
                title=step.title,
                instructions=step.instructions,
                role=step.role,
                assignee=assignees.get(step.role_id),
                due_at=now + timedelta(minutes=step.within_minutes),
            )
            for step in steps
        ]
    )
    _log(
        incident=incident,
        actor=actor,
        event=PLAYBOOK_ACTIVATED,
        params={"title": playbook.title, "number": version.number, "count": len(steps)},
        data={"activation": activation.pk, "playbook": playbook.pk, "version": version.number, "tasks": len(steps)},
    )
    return activation, True


def _close(*, actor, task: IncidentTask, to_status: str, note: str) -> IncidentTask:
    incident, task = _lock_task(task)
    if not can_work_task(actor, task, incident):
        raise PermissionDenied(_("You may not work on this incident's tasks."))
    if to_status not in TASK_TRANSITIONS[task.status]:
        raise InvalidTransition(
            _("This task is already %s.") % TaskStatus(task.status).label.lower(),
            current=task.status,
            requested=to_status,
        )
    from_status = task.status
    task.status = to_status
    task.note = note
    if to_status == TaskStatus.OPEN:
        task.completed_at = None
        task.completed_by = None
    else:
        task.completed_at = timezone.now()
        task.completed_by = actor
    task.full_clean()
    task.save(update_fields=["status", "note", "completed_at", "completed_by"])
    if to_status == TaskStatus.DONE:
        event, params = TASK_DONE, {"title": task.title, "note": note}
    elif to_status == TaskStatus.SKIPPED:
        event, params = TASK_SKIPPED, {"title": task.title, "reason": note}
    else:
        event, params = TASK_REOPENED, {"title": task.title}
    overdue = task.completed_at is not None and task.completed_at > task.due_at
    _log(
        incident=incident,
        actor=actor,
        event=event,
        params=params,
        data={"task": task.pk, "from": from_status, "to": to_status, "late": overdue},
    )
    return task


@transaction.atomic
def task_complete(*, actor, task: IncidentTask, note: str = "") -> IncidentTask:
    """Mark a task done, with an optional note; logs it on the timeline."""
    return _close(actor=actor, task=task, to_status=TaskStatus.DONE, note=(note or "").strip())


@transaction.atomic
def task_skip(*, actor, task: IncidentTask, reason: str) -> IncidentTask:
    """Skip a task that does not apply; the reason is required and goes to the timeline."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this task is skipped.")})
    return _close(actor=actor, task=task, to_status=TaskStatus.SKIPPED, note=reason)


@transaction.atomic
def task_reopen(*, actor, task: IncidentTask) -> IncidentTask:
    """Reopen a task closed by mistake; the timeline keeps both lines."""
    return _close(actor=actor, task=task, to_status=TaskStatus.OPEN, note="")


@transaction.atomic
def task_assign(*, actor, task: IncidentTask, assignee) -> IncidentTask:
    """Give a task to someone else (or nobody); they must be able to see the incident."""
    incident, task = _lock_task(task)
    if not can_assign_task(actor, incident):
        raise PermissionDenied(_("Only a team lead or this incident's lead may reassign tasks."))
    if assignee is not None and not permissions.can_view(assignee, incident):
        raise ValidationError({"assignee": _("%s cannot see this incident.") % display_name(assignee)})
    if task.assignee_id == getattr(assignee, "pk", None):
        return task
    task.assignee = assignee
    task.save(update_fields=["assignee"])
    _log(
        incident=incident,
        actor=actor,
        event=TASK_ASSIGNED,
        params={"title": task.title, "who": display_name(assignee) if assignee else ""},
        data={"task": task.pk, "assignee": getattr(assignee, "pk", None)},
    )
    notify(
        recipients=[assignee] if assignee is not None else [],
        kind=TASK_ASSIGNED_KIND,
        message=message(
            gettext_noop("Task assigned to you: %(task)s (%(reference)s)"),
            {"task": task.title, "reference": incident.reference},
        ),
        url=reverse("incidents:detail", kwargs={"reference": incident.reference}),
        incident=incident,
        actor=actor,
    )
    return task
