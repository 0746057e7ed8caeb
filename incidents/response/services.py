"""Response targets and the reminders the response clocks trigger: the write side.

The clocks themselves (acknowledge, first public response, public update; due soon from
``RESPONSE_DUE_SOON_PERCENT`` of a target, overdue past it) are computed in
``incidents.response.clocks``; this module changes the targets and sends the reminders.

``send_due_reminders`` (run every minute by Celery beat) sends each reminder once: a
due-soon one when a clock crosses the threshold, an overdue one when it breaches; a row in
``ResponseReminder`` with a unique key records it, so two overlapping beat runs cannot both
send it. Review rounds waiting longer than ``REVIEW_REMINDER_MINUTES`` remind their reviewers
the same way.

Reminders go by e-mail to the incident's lead and communications members, and as the
webhook events ``incident.response_due_soon`` / ``incident.response_overdue``. Exercise
incidents still e-mail the team (a drill practises the clock) but emit no webhook:
nothing about a drill leaves the building.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from crisisdesk.audit.services import audit_record
from crisisdesk.notifications import kinds as notification_kinds
from crisisdesk.notifications.messages import message
from crisisdesk.notifications.services import notify
from incidents.models import ACTIVE_STATUSES, LEAD_ROLE_CODE, Incident, Membership
from incidents.response.clocks import ResponseClock, response_boards
from incidents.response.models import ReminderClock, ReminderStage, ResponseReminder, ResponseTarget

logger = logging.getLogger(__name__)

COMMUNICATIONS_ROLE_CODE = "communications"

EVENT_DUE_SOON = "incident.response_due_soon"
EVENT_OVERDUE = "incident.response_overdue"


def register_event_types() -> None:
    """Declare the reminder events in the webhook registry, so subscriptions can choose them.

    Idempotent; runs when this module is imported (the admin and the tasks import it at
    start-up). Better placed in ``crisisdesk/webhooks/events.py`` with the other types.
    """
    from crisisdesk.webhooks.events import register

    register(
        EVENT_DUE_SOON,
        gettext_lazy("Response due soon"),
        gettext_lazy("A response target of an incident (acknowledge, first response, update) is about to pass."),
    )
    register(
        EVENT_OVERDUE,
        gettext_lazy("Response overdue"),
        gettext_lazy("A response target of an incident passed, or a review has waited too long."),
    )


register_event_types()


def review_reminder_after() -> timedelta:
    return timedelta(minutes=getattr(settings, "REVIEW_REMINDER_MINUTES", 30))


# --- editing targets -----------------------------------------------------------------------


def can_edit_targets(user) -> bool:
    return user.is_authenticated and user.has_perm("incidents.change_responsetarget")


@transaction.atomic
def response_target_update(
    *,
    actor,
    target: ResponseTarget,
    acknowledge_minutes: int,
    first_response_minutes: int,
    update_interval_minutes: int | None,
    update_window_minutes: int | None,
) -> ResponseTarget:
    """Change one severity's targets (team leads). Running clocks follow the new values at once."""
    if not can_edit_targets(actor):
        raise PermissionDenied(_("You may not change response targets."))
    target = ResponseTarget.objects.select_for_update().get(pk=target.pk)
    if first_response_minutes < acknowledge_minutes:
        raise ValidationError(
            {"first_response_minutes": _("The first public response cannot be due before the acknowledgement.")}
        )
    if update_window_minutes and not update_interval_minutes:
        raise ValidationError({"update_window_minutes": _("Set an update interval for the cadence to last.")})
    before = {name: getattr(target, name) for name in TARGET_FIELDS}
    target.acknowledge_minutes = acknowledge_minutes
    target.first_response_minutes = first_response_minutes
    target.update_interval_minutes = update_interval_minutes or None
    target.update_window_minutes = update_window_minutes or None
    target.updated_by = actor
    target.full_clean()
    target.save()
    after = {name: getattr(target, name) for name in TARGET_FIELDS}
    changed = [name for name in TARGET_FIELDS if before[name] != after[name]]
    if changed:
        audit_record(
            actor=actor,
            action="response_target.update",
            target=target,
            from_state=", ".join(f"{name}={before[name]}" for name in changed),
            to_state=", ".join(f"{name}={after[name]}" for name in changed),
            data={"severity": target.severity, "before": before, "after": after},
        )
    return target


TARGET_FIELDS = ("acknowledge_minutes", "first_response_minutes", "update_interval_minutes", "update_window_minutes")


# --- reminders -----------------------------------------------------------------------------


def emit_event(*, event_type: str, payload: dict, incident=None) -> None:
    """Write a webhook event to the outbox, in the caller's transaction.

    Looked up at call time: the webhooks app lives in ``crisisdesk.webhooks``.
    """
    from crisisdesk import webhooks

    emit = getattr(webhooks, "emit", None)
    if emit is None:
        from crisisdesk.webhooks.services import emit
    emit(event_type=event_type, payload=payload, incident=incident)


def _unique_users(users) -> list:
    seen, unique = set(), []
    for user in users:
        if user is not None and user.pk not in seen and user.is_active:
            seen.add(user.pk)
            unique.append(user)
    return unique


def _clock_key(incident: Incident, clock: ResponseClock, stage: str) -> str:
    return ":".join(filter(None, ["incident", str(incident.pk), clock.code, clock.cycle, stage]))


def _describe_clock(incident: Incident, clock: ResponseClock, stage: str) -> tuple[str, str]:
    from crisisdesk.templatetags.clocks import duration

    values = {
        "reference": incident.reference,
        "title": incident.title,
        "clock": clock.label,
        "due": timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M %Z"),
        "left": duration(clock.remaining),
        "late": duration(clock.overdue_by),
        "drill": _(" (exercise)") if incident.is_exercise else "",
    }
    if stage == ReminderStage.OVERDUE:
        subject = _("Overdue: %(clock)s — %(reference)s%(drill)s") % values
        body = _("%(reference)s “%(title)s”: %(clock)s was due at %(due)s and is %(late)s late.") % values
    else:
        subject = _("Due soon: %(clock)s — %(reference)s%(drill)s") % values
        body = _("%(reference)s “%(title)s”: %(clock)s is due at %(due)s, in %(left)s.") % values
    return subject, body


def _event_payload(incident: Incident, clock: ResponseClock, stage: str) -> dict:
    return {
        "incident": {
            "reference": incident.reference,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
        },
        "clock": str(clock.code),
        "stage": str(stage),
        "due_at": clock.due_at.isoformat(),
        "target_minutes": int(clock.target.total_seconds() // 60),
    }


TASK_OVERDUE_KIND = "task.overdue"


def register_notification_kinds() -> None:
    """The response clocks' notification kinds (``IncidentsConfig.ready()``)."""
    notification_kinds.register(TASK_OVERDUE_KIND, gettext_lazy("Task overdue"))


def _record_once(
    *, key: str, incident, clock: str, stage: str, due_at, recipients, subject, body, event=None, notification=None
):
    """Insert the reminder row, emit its event and queue its e-mail, all or nothing.

    The unique ``key`` is the guard: a concurrent beat run that inserted it first makes
    this insert fail, and then this run sends nothing.
    """
    try:
        with transaction.atomic():
            reminder = ResponseReminder.objects.create(
                key=key,
                incident=incident,
                clock=clock,
                stage=stage,
                due_at=due_at,
                recipients=sorted(user.email for user in recipients if user.email),
            )
            if event is not None:
                emit_event(**event)
            if notification is not None:
                notify(recipients=recipients, incident=incident, **notification)
    except IntegrityError:
        return None
    addresses = reminder.recipients
    if addresses:
        # After commit: a rolled-back reminder row must not have told anyone anything.
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=True)
        )
    return reminder


def _incident_candidates(now: datetime) -> list[tuple[Incident, ResponseClock, str]]:
    incidents = list(Incident.objects.active().select_related("lead"))
    boards = response_boards(incidents, now=now)
    return [
        (incident, clock, clock.stage)
        for incident in incidents
        for clock in boards[incident.pk].clocks
        if clock.stage is not None
    ]


def _send_incident_reminders(now: datetime) -> list[ResponseReminder]:
    candidates = [
        (incident, clock, stage, _clock_key(incident, clock, stage))
        for incident, clock, stage in _incident_candidates(now)
    ]
    if not candidates:
        return []
    # One query to skip what was already sent, instead of one failed insert per clock per minute.
    already = set(
        ResponseReminder.objects.filter(key__in=[key for *_, key in candidates]).values_list("key", flat=True)
    )
    pending = [row for row in candidates if row[3] not in already]
    teams = _teams({incident.pk for incident, *_ in pending})
    sent = []
    for incident, clock, stage, key in pending:
        subject, body = _describe_clock(incident, clock, stage)
        event = None
        if not incident.is_exercise:
            event = {
                "event_type": EVENT_OVERDUE if stage == ReminderStage.OVERDUE else EVENT_DUE_SOON,
                "payload": _event_payload(incident, clock, stage),
                "incident": incident,
            }
        reminder = _record_once(
            key=key,
            incident=incident,
            clock=clock.code,
            stage=stage,
            due_at=clock.due_at,
            recipients=teams.get(incident.pk, []),
            subject=subject,
            body=body,
            event=event,
        )
        if reminder is not None:
            sent.append(reminder)
    return sent


def _teams(incident_ids) -> dict[int, list]:
    """Reminder recipients of several incidents in two queries."""
    if not incident_ids:
        return {}
    incidents = Incident.objects.filter(pk__in=incident_ids).select_related("lead")
    memberships = Membership.objects.filter(
        incident_id__in=incident_ids, role__code__in=[LEAD_ROLE_CODE, COMMUNICATIONS_ROLE_CODE]
    ).select_related("user")
    members: dict[int, list] = {}
    for membership in memberships:
        members.setdefault(membership.incident_id, []).append(membership.user)
    return {incident.pk: _unique_users([incident.lead, *members.get(incident.pk, [])]) for incident in incidents}


def _send_review_reminders(now: datetime) -> list[ResponseReminder]:
    """Remind reviewers of review rounds open longer than ``REVIEW_REMINDER_MINUTES``."""
    from crisisdesk.review.models import ReviewRequest, ReviewRequestStatus
    from crisisdesk.review.policy import policy_for
    from crisisdesk.review.services import editor_ids, missing_requirements

    waiting = list(
        ReviewRequest.objects.filter(
            status=ReviewRequestStatus.OPEN, submitted_at__lte=now - review_reminder_after()
        ).select_related("content_type")
    )
    if not waiting:
        return []
    keys = {request.pk: f"review:{request.pk}:{ReminderStage.OVERDUE}" for request in waiting}
    already = set(ResponseReminder.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    sent = []
    for request in waiting:
        if keys[request.pk] in already:
            continue
        item = request.item
        if item is None:
            continue
        policy = policy_for(item)
        incident = policy.incident(item)
        if incident is not None and not incident.is_active:
            continue
        editors = editor_ids(item)
        reviewers = _unique_users(
            user
            for requirement in missing_requirements(item, policy=policy)
            for user in policy.reviewers(item, requirement)
            if user.pk not in editors
        )
        values = {
            "item": policy.describe(item),
            "minutes": int((now - request.submitted_at).total_seconds() // 60),
        }
        subject = _("Review waiting: %(item)s") % values
        body = _("%(item)s has been waiting for your review for %(minutes)s minutes.") % values
        event = None
        if incident is not None and not incident.is_exercise:
            event = {
                "event_type": EVENT_OVERDUE,
                "payload": {
                    "incident": {
                        "reference": incident.reference,
                        "title": incident.title,
                        "severity": incident.severity,
                        "status": incident.status,
                    },
                    "clock": str(ReminderClock.LEGAL_REVIEW),
                    "stage": str(ReminderStage.OVERDUE),
                    "due_at": (request.submitted_at + review_reminder_after()).isoformat(),
                    "item": {"type": request.content_type.model, "id": request.object_id},
                },
                "incident": incident,
            }
        reminder = _record_once(
            key=keys[request.pk],
            incident=incident,
            clock=ReminderClock.LEGAL_REVIEW,
            stage=ReminderStage.OVERDUE,
            due_at=request.submitted_at + review_reminder_after(),
            recipients=reviewers,
            subject=subject,
            body=body,
            event=event,
        )
        if reminder is not None:
            sent.append(reminder)
    return sent


def _send_task_reminders(now: datetime) -> list[ResponseReminder]:
    """Tell the assignee (or, without one, the incident lead) once when a playbook task is overdue."""
    from incidents.checklist.models import IncidentTask, TaskStatus

    overdue = list(
        IncidentTask.objects.filter(
            status=TaskStatus.OPEN, due_at__lte=now, incident__status__in=ACTIVE_STATUSES
        ).select_related("incident", "incident__lead", "assignee")
    )
    if not overdue:
        return []
    keys = {task.pk: f"task:{task.pk}:{ReminderStage.OVERDUE}" for task in overdue}
    already = set(ResponseReminder.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    sent = []
    for task in overdue:
        if keys[task.pk] in already:
            continue
        incident = task.incident
        values = {
            "reference": incident.reference,
            "task": task.title,
            "due": timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M %Z"),
        }
        reminder = _record_once(
            key=keys[task.pk],
            incident=incident,
            clock=ReminderClock.TASK,
            stage=ReminderStage.OVERDUE,
            due_at=task.due_at,
            recipients=_unique_users([task.assignee or incident.lead]),
            subject=_("Overdue task: %(task)s — %(reference)s") % values,
            body=_("%(reference)s: the task “%(task)s” was due at %(due)s and is still open.") % values,
            notification={
                "kind": TASK_OVERDUE_KIND,
                "message": message(gettext_noop("Overdue task: %(task)s (%(reference)s)"), values),
                "url": reverse("incidents:detail", kwargs={"reference": incident.reference}),
            },
        )
        if reminder is not None:
            sent.append(reminder)
    return sent


def send_due_reminders(*, now: datetime | None = None) -> list[ResponseReminder]:
    """Send every reminder that is due and not yet sent; safe to run concurrently and repeatedly."""
    now = now or timezone.now()
    sent = _send_incident_reminders(now) + _send_review_reminders(now) + _send_task_reminders(now)
    if sent:
        logger.info("Sent %d response reminder(s)", len(sent), extra={"reminders": [r.key for r in sent]})
    return sent
