"""Writes to playbooks (versions reviewed by the engine), their review-due reminders, and exercises.

Key messages have their own package, ``playbooks.keymessages``; the roster is ``playbooks.roster``.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from crisisdesk.audit.services import audit_record
from crisisdesk.exceptions import InvalidTransition
from crisisdesk.notifications.messages import message
from crisisdesk.review import services as review
from crisisdesk.review.models import Action, ContentLanguage, ReviewStatus
from crisisdesk.review.policy import Requirement, ReviewPolicy, has_explicit_perm
from crisisdesk.text import normalise_newlines
from playbooks.keymessages.models import KeyMessage
from playbooks.models import Exercise, ExerciseStatus, Playbook, PlaybookReminder, PlaybookStep, PlaybookVersion

# --- playbooks ------------------------------------------------------------------------------------------------------
#
# Who may do what (issue 4): every CrisisDesk role reads playbooks. Team leads create
# playbooks and set owner and review date (the owner may too). Communicators and team
# leads draft, edit and submit versions; a team lead who wrote no revision of a version
# approves it (four eyes, from the engine), and that approval makes it the active one.
# Approved is the live state: versions are used, not published, and never edited once
# approved — a change is a new version drafted from the last one.

TEAM_LEAD_APPROVAL = Requirement("team_lead", gettext_lazy("Team lead"))

VERSION_FIELDS = ("summary", "trigger_criteria", "severity_guide", "channels", "escalation_contacts")
PLAYBOOK_FIELDS = ("title", "scenario", "language", "owner", "review_due")

VERSION_ACTION_PERMISSIONS = {
    Action.EDIT: "playbooks.change_playbookversion",
    Action.SUBMIT: "playbooks.submit_playbookversion",
}


class PlaybookVersionPolicy(ReviewPolicy):
    """A playbook version needs one Team lead approval; approving it makes it the playbook's active version."""

    publishable = False
    content_fields = VERSION_FIELDS

    def content(self, item) -> dict:
        content = super().content(item)
        content["playbook"] = item.playbook_id
        content["number"] = item.number
        content["steps"] = [
            {
                "position": step.position,
                "title": step.title,
                "instructions": step.instructions,
                "role": step.role.code if step.role_id else None,
                "within_minutes": step.within_minutes,
            }
            for step in item.steps.select_related("role").order_by("position")
        ]
        content["key_messages"] = sorted(item.key_messages.values_list("pk", flat=True))
        return content

    def public_text(self, item) -> dict:
        # Nothing of a playbook goes public; hash the whole snapshot so text_hash stays meaningful.
        return self.content(item)

    def requirements(self, item) -> list[Requirement]:
        return [TEAM_LEAD_APPROVAL]

    def qualifies(self, user, item, requirement: Requirement) -> bool:
        return (
            requirement == TEAM_LEAD_APPROVAL
            and self.can_view(user, item)
            and has_explicit_perm(user, "playbooks.approve_playbookversion")
        )

    def reviewers(self, item, requirement: Requirement):
        from incidents.statements.services import users_with_perm

        return [user for user in users_with_perm("playbooks.approve_playbookversion") if self.can_view(user, item)]

    def can_view(self, user, item) -> bool:
        return user.is_authenticated and user.is_active and user.has_perm("playbooks.view_playbook")

    def can(self, user, item, action: str) -> bool:
        # An approved version may be the active one: it is never edited (the engine would send
        # it back to draft under a running incident), and never withdrawn or published.
        if action == Action.EDIT and item.status not in (ReviewStatus.DRAFT, ReviewStatus.IN_REVIEW):
            return False
        perm = VERSION_ACTION_PERMISSIONS.get(action)
        return perm is not None and self.can_view(user, item) and user.has_perm(perm)

    def record_event(self, item, event) -> None:
        """On the approval that completes the review, make this version the active one (same transaction)."""
        if event.action != Action.APPROVE or event.to_state != ReviewStatus.APPROVED:
            return
        playbook = Playbook.objects.select_for_update().get(pk=item.playbook_id)
        current = playbook.active_version
        # Lock order item → playbook, as everywhere. An older version approved late never
        # replaces a newer active one.
        if current is None or current.number < item.number:
            playbook.active_version = item
            playbook.save(update_fields=["active_version", "updated_at"])

    def describe_message(self, item):
        return message(
            gettext_noop("Playbook “%(title)s” version %(number)s"),
            {"title": item.playbook.title, "number": item.number},
        )


def can_manage_playbook(user, playbook: Playbook) -> bool:
    """Set title, owner and review date: team leads, and the playbook's owner."""
    return (
        user.is_authenticated
        and user.has_perm("playbooks.view_playbook")
        and (user.has_perm("playbooks.change_playbook") or playbook.owner_id == user.pk)
    )


def can_draft_version(user) -> bool:
    return user.is_authenticated and user.has_perm("playbooks.add_playbookversion")


def _validate_channels(channels) -> list[str]:
    from incidents.models import Channel

    if channels is None:
        return []
    if not isinstance(channels, (list, tuple)):
        raise ValidationError({"channels": _("Expected a list of channels.")})
    unknown = [c for c in channels if c not in Channel.values]
    if unknown:
        raise ValidationError({"channels": _("Unknown channel(s): %s") % ", ".join(map(str, unknown))})
    return [c for c in Channel.values if c in channels]


def _write_steps(version: PlaybookVersion, steps) -> None:
    """Replace a draft version's steps with ``steps`` (dicts of title, instructions, role, within_minutes), in order."""
    errors = []
    rows = []
    for position, step in enumerate(steps, start=1):
        row = PlaybookStep(
            version=version,
            position=position,
            title=(step.get("title") or "").strip(),
            instructions=normalise_newlines(step.get("instructions") or ""),
            role=step.get("role"),
            within_minutes=step.get("within_minutes") if step.get("within_minutes") is not None else 60,
        )
        try:
            row.full_clean(exclude=["version"])
        except ValidationError as error:
            errors.append(_("Step %(n)s: %(error)s") % {"n": position, "error": " ".join(error.messages)})
        rows.append(row)
    if errors:
        raise ValidationError({"steps": errors})
    # Only draft or in-review versions reach here, and they were never activated: no task points at their steps.
    version.steps.all().delete()
    PlaybookStep.objects.bulk_create(rows)


def _check_key_messages(key_messages) -> list:
    key_messages = list(key_messages or [])
    if any(not isinstance(km, KeyMessage) for km in key_messages):
        raise ValidationError({"key_messages": _("Unknown key message.")})
    return key_messages


@transaction.atomic
def playbook_create(
    *,
    actor,
    title: str,
    trigger_criteria: str,
    scenario: str = "other",
    language: str = ContentLanguage.EN,
    owner=None,
    review_due=None,
    summary: str = "",
    severity_guide: str = "",
    channels=None,
    escalation_contacts: str = "",
    key_messages=(),
    steps=(),
    ip_address: str | None = None,
) -> Playbook:
    """Create a playbook and its first version as a draft; it is activatable once a team lead approves it."""
    if not actor.has_perm("playbooks.add_playbook"):
        raise PermissionDenied(_("You may not create playbooks."))
    playbook = Playbook(
        title=(title or "").strip(),
        scenario=scenario,
        language=language,
        owner=owner or actor,
        review_due=review_due,
        created_by=actor,
    )
    playbook.full_clean()
    playbook.save()
    version = PlaybookVersion(
        playbook=playbook,
        number=1,
        summary=normalise_newlines(summary),
        trigger_criteria=normalise_newlines(trigger_criteria),
        severity_guide=normalise_newlines(severity_guide),
        channels=_validate_channels(channels),
        escalation_contacts=normalise_newlines(escalation_contacts),
        created_by=actor,
    )
    version.full_clean()
    version.save()
    version.key_messages.set(_check_key_messages(key_messages))
    _write_steps(version, steps)
    review.review_start(actor=actor, item=version, ip_address=ip_address)
    return playbook


@transaction.atomic
def playbook_update(*, actor, playbook: Playbook, **changes) -> Playbook:
    """Change a playbook's housekeeping (title, scenario, language, owner, review date); its content is versioned."""
    unknown = set(changes) - set(PLAYBOOK_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be edited here.") for field in unknown})
    playbook = Playbook.objects.select_for_update().get(pk=playbook.pk)
    if not can_manage_playbook(actor, playbook):
        raise PermissionDenied(_("You may not change this playbook."))
    for field, value in changes.items():
        setattr(playbook, field, value)
    playbook.full_clean()
    playbook.save()
    return playbook


@transaction.atomic
def playbook_version_create(*, actor, playbook: Playbook, ip_address: str | None = None) -> PlaybookVersion:
    """Draft the next version, starting from a copy of the newest one (content, steps, key messages)."""
    if not can_draft_version(actor) or not actor.has_perm("playbooks.view_playbook"):
        raise PermissionDenied(_("You may not draft playbook versions."))
    playbook = Playbook.objects.select_for_update().get(pk=playbook.pk)
    if playbook.versions.filter(status__in=[ReviewStatus.DRAFT, ReviewStatus.IN_REVIEW]).exists():
        raise InvalidTransition(_("A version of this playbook is already being drafted or reviewed."))
    source = playbook.versions.order_by("-number").first()
    version = PlaybookVersion(
        playbook=playbook,
        number=(source.number + 1) if source else 1,
        trigger_criteria=source.trigger_criteria if source else "",
        severity_guide=source.severity_guide if source else "",
        channels=list(source.channels) if source else [],
        escalation_contacts=source.escalation_contacts if source else "",
        created_by=actor,
    )
    version.save()
    if source is not None:
        version.key_messages.set(source.key_messages.all())
        _write_steps(
            version,
            [
                {
                    "title": s.title,
                    "instructions": s.instructions,
                    "role": s.role,
                    "within_minutes": s.within_minutes,
                }
                for s in source.steps.select_related("role").order_by("position")
            ],
        )
    review.review_start(actor=actor, item=version, ip_address=ip_address)
    version.refresh_from_db()
    return version


@transaction.atomic
def playbook_version_update(
    *,
    actor,
    version: PlaybookVersion,
    steps=None,
    key_messages=None,
    comment: str = "",
    ip_address: str | None = None,
    **changes,
) -> PlaybookVersion:
    """Edit a draft or in-review version (fields, whole list of steps, key messages): a new revision, back to draft."""
    unknown = set(changes) - set(VERSION_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be edited here.") for field in unknown})
    version = PlaybookVersion.objects.select_for_update().get(pk=version.pk)
    review.ensure_allowed(actor=actor, item=version, action=Action.EDIT)
    if "channels" in changes:
        changes["channels"] = _validate_channels(changes["channels"])
    for field, value in changes.items():
        setattr(version, field, normalise_newlines(value) if isinstance(value, str) else value)
    version.full_clean()
    version.save()
    if key_messages is not None:
        version.key_messages.set(_check_key_messages(key_messages))
    if steps is not None:
        _write_steps(version, steps)
    review.review_record_edit(actor=actor, item=version, comment=comment, ip_address=ip_address)
    version.refresh_from_db()
    return version


# --- review-due reminders -------------------------------------------------------------------------------------------


def playbook_send_review_reminders(*, today=None) -> list[PlaybookReminder]:
    """E-mail each stale playbook's owner once per due date; safe to run from overlapping beat runs.

    The unique (playbook, due_date) row is the guard: whoever inserts it sends the mail,
    after commit; a concurrent run that loses the insert sends nothing.
    """
    today = today or timezone.localdate()
    already = PlaybookReminder.objects.filter(playbook=OuterRef("pk"), due_date=OuterRef("review_due"))
    stale = Playbook.objects.stale(today=today).exclude(Exists(already)).select_related("owner")
    sent = []
    for playbook in stale:
        email = playbook.owner.email if playbook.owner.is_active else ""
        try:
            with transaction.atomic():
                reminder = PlaybookReminder.objects.create(
                    playbook=playbook, due_date=playbook.review_due, recipient=email
                )
                if email:
                    subject = _("Playbook review overdue: %s") % playbook.title
                    body = _(
                        "The playbook “%(title)s”, which you own, was due for review on %(date)s. "
                        "Draft a new version in CrisisDesk (or confirm it) and set the next review date."
                    ) % {"title": playbook.title, "date": playbook.review_due.isoformat()}
                    transaction.on_commit(
                        lambda s=subject, b=body, e=email: send_mail(
                            s, b, settings.DEFAULT_FROM_EMAIL, [e], fail_silently=True
                        )
                    )
        except IntegrityError:
            continue
        sent.append(reminder)
    return sent


# --- exercises ------------------------------------------------------------------------------------------------------

EXERCISE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ExerciseStatus.SCHEDULED: (ExerciseStatus.COMPLETED, ExerciseStatus.CANCELLED),
    ExerciseStatus.COMPLETED: (),
    ExerciseStatus.CANCELLED: (),
}
EXERCISE_FIELDS = ("title", "scheduled_for", "findings", "follow_up_actions")


def can_manage_exercises(user) -> bool:
    return (
        user.is_authenticated
        and user.has_perm("playbooks.view_exercise")
        and user.has_perm("playbooks.change_exercise")
    )


@transaction.atomic
def exercise_schedule(*, actor, playbook: Playbook, title: str, scheduled_for, participants=()) -> Exercise:
    """Put a drill of a playbook in the calendar."""
    if not actor.has_perm("playbooks.add_exercise") or not actor.has_perm("playbooks.view_playbook"):
        raise PermissionDenied(_("You may not schedule exercises."))
    exercise = Exercise(playbook=playbook, title=(title or "").strip(), scheduled_for=scheduled_for, created_by=actor)
    exercise.full_clean()
    exercise.save()
    exercise.participants.set(participants or [])
    return exercise


@transaction.atomic
def exercise_update(*, actor, exercise: Exercise, participants=None, **changes) -> Exercise:
    """Record what a drill showed (participants, findings, follow-up actions) or move its date."""
    unknown = set(changes) - set(EXERCISE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be edited here.") for field in unknown})
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    if not can_manage_exercises(actor):
        raise PermissionDenied(_("You may not record exercises."))
    if exercise.status == ExerciseStatus.CANCELLED:
        raise InvalidTransition(_("This exercise was cancelled."), current=exercise.status)
    for field, value in changes.items():
        setattr(exercise, field, normalise_newlines(value) if isinstance(value, str) else value)
    exercise.full_clean()
    exercise.save()
    if participants is not None:
        exercise.participants.set(participants)
    return exercise


@transaction.atomic
def exercise_change_status(*, actor, exercise: Exercise, to_status: str) -> Exercise:
    """Mark a drill completed (it happened) or cancelled."""
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    if not can_manage_exercises(actor):
        raise PermissionDenied(_("You may not record exercises."))
    if to_status not in EXERCISE_TRANSITIONS.get(exercise.status, ()):
        raise InvalidTransition(
            _("An exercise cannot go from %(from)s to %(to)s.")
            % {"from": ExerciseStatus(exercise.status).label, "to": to_status},
            current=exercise.status,
            requested=to_status,
        )
    from_status = exercise.status
    exercise.status = to_status
    if to_status == ExerciseStatus.COMPLETED:
        exercise.completed_at = timezone.now()
    exercise.save(update_fields=["status", "completed_at"])
    audit_record(actor=actor, action="exercise.status", target=exercise, from_state=from_status, to_state=to_status)
    return exercise


def exercise_run_refusal(*, actor, exercise: Exercise) -> Exception | None:
    """Why ``actor`` may not run ``exercise`` now, as the error ``exercise_run`` raises; None when they may.

    One rule for the "Run as exercise" button and the service (which asks again with the row locked).
    """
    if not can_manage_exercises(actor):
        return PermissionDenied(_("You may not run exercises."))
    if exercise.incident_id is not None:
        return InvalidTransition(_("This exercise is already running."), current=exercise.status)
    if exercise.status != ExerciseStatus.SCHEDULED:
        return InvalidTransition(_("Only a scheduled exercise can be run."), current=exercise.status)
    if exercise.playbook.active_version_id is None:
        return InvalidTransition(_("This playbook has no approved version to exercise yet."))
    return None


@transaction.atomic
def exercise_run(*, actor, exercise: Exercise):
    """Run a drill: open an incident flagged as an exercise (actor leads it) and activate the playbook on it.

    The incident is a real one for the team — clocks, statements, tasks all work — but
    ``is_exercise`` keeps it out of the newsroom (``Statement.objects.public()``), the
    webhook outbox (``crisisdesk.webhooks.services.emit``) and metrics.
    """
    from incidents.checklist.services import playbook_activate
    from incidents.services import incident_open

    exercise = Exercise.objects.select_for_update().select_related("playbook").get(pk=exercise.pk)
    refusal = exercise_run_refusal(actor=actor, exercise=exercise)
    if refusal is not None:
        raise refusal
    playbook = exercise.playbook
    incident = incident_open(
        actor=actor,
        title=_("Exercise: %s") % exercise.title,
        summary=playbook.active_version.trigger_criteria,
        category=playbook.scenario,
        is_exercise=True,
        lead=actor,
    )
    playbook_activate(actor=actor, incident=incident, playbook=playbook)
    exercise.incident = incident
    exercise.save(update_fields=["incident"])
    audit_record(
        actor=actor,
        action="exercise.run",
        target=exercise,
        from_state=exercise.status,
        to_state=incident.reference,
        data={"incident": incident.pk},
    )
    return incident
