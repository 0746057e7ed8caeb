"""Playbooks (crisis plans in reviewed versions, with ordered steps), their reminders, and exercises.

Key messages (``playbooks.keymessages``) and the roster (``playbooks.roster``) are packages of
their own; ``PlaybooksConfig.import_models`` loads their models into this app.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.review.models import ContentLanguage, Reviewable
from incidents.models import Category
from playbooks.keymessages.models import KeyMessage

# --- playbooks ------------------------------------------------------------------------------------------------------


class PlaybookQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PlaybookQuerySet":
        """The only way to list or look up playbooks: every CrisisDesk role reads them, an outsider none."""
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if not user.has_perm("playbooks.view_playbook"):
            return self.none()
        return self

    def stale(self, *, today=None) -> "PlaybookQuerySet":
        """Past their review-due date: the plan may no longer match the organisation."""
        today = today or timezone.localdate()
        return self.filter(review_due__lt=today)


class Playbook(models.Model):
    """The crisis plan for one scenario; its content lives in reviewed, numbered versions.

    ``active_version`` is the approved version an activation uses. It changes only
    when a team lead who did not write a newer version approves it (see
    ``playbooks.services.PlaybookVersionPolicy.record_event``); older versions stay
    readable. ``review_due`` is housekeeping: past it, the playbook is flagged stale
    and its owner reminded once per due date.
    """

    title = models.CharField(_("title"), max_length=200)
    scenario = models.CharField(_("scenario"), max_length=32, choices=Category.choices, default=Category.OTHER)
    language = models.CharField(_("language"), max_length=5, choices=ContentLanguage.choices, default="en")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_playbooks", verbose_name=_("owner")
    )
    review_due = models.DateField(_("review due"), null=True, blank=True)
    active_version = models.ForeignKey(
        "PlaybookVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("active version"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlaybookQuerySet.as_manager()

    class Meta:
        ordering = ["scenario", "language", "title", "id"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        constraints = [
            models.CheckConstraint(condition=Q(scenario__in=Category.values), name="playbook_scenario_valid"),
            models.CheckConstraint(condition=Q(language__in=ContentLanguage.values), name="playbook_language_valid"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("playbooks:detail", kwargs={"pk": self.pk})

    def is_stale(self, *, today=None) -> bool:
        today = today or timezone.localdate()
        return self.review_due is not None and self.review_due < today


class PlaybookVersion(Reviewable):
    """One numbered version of a playbook's content, reviewed by the engine.

    Approved is the live state (versions are used, not published): the newest
    approved version becomes the playbook's active one. Approved versions are never
    edited; a change is a new version drafted from the current one.
    """

    review_policy = "playbooks.services.PlaybookVersionPolicy"

    playbook = models.ForeignKey(Playbook, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"), editable=False)
    summary = models.TextField(_("what changed"), blank=True)
    trigger_criteria = models.TextField(_("trigger criteria"), help_text=_("When to open this playbook."))
    severity_guide = models.TextField(_("severity guide"), blank=True, help_text=_("Which severity fits which case."))
    channels = models.JSONField(_("channels"), default=list, blank=True)
    escalation_contacts = models.TextField(_("escalation contacts"), blank=True)
    key_messages = models.ManyToManyField(
        KeyMessage, blank=True, related_name="playbook_versions", verbose_name=_("key messages")
    )

    class Meta(Reviewable.Meta):
        ordering = ["playbook", "-number"]
        verbose_name = _("playbook version")
        verbose_name_plural = _("playbook versions")
        permissions = [
            ("submit_playbookversion", "Can submit a playbook version for review"),
            ("approve_playbookversion", "Can approve or reject a playbook version (Team lead)"),
        ]
        constraints = [
            *Reviewable.Meta.constraints,
            models.UniqueConstraint(fields=["playbook", "number"], name="playbookversion_number_per_playbook"),
            models.CheckConstraint(condition=Q(number__gte=1), name="playbookversion_number_positive"),
            # Versions are used, never published.
            models.CheckConstraint(condition=~Q(status="published"), name="playbookversion_never_published"),
            # One version in the works at a time: two parallel drafts would race to replace the active one.
            models.UniqueConstraint(
                fields=["playbook"],
                condition=Q(status__in=["draft", "in_review"]),
                name="playbookversion_one_open_per_playbook",
            ),
        ]

    def __str__(self):
        return f"{self.playbook.title} v{self.number}"

    @property
    def title(self) -> str:
        # The review queue and the audit trail name items by their title.
        return f"{self.playbook.title} v{self.number}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("playbooks:version", kwargs={"pk": self.playbook_id, "number": self.number})

    def get_transition_url(self):
        """Where the workflow buttons (submit, approve, request changes, reject) post."""
        from django.urls import reverse

        return reverse("playbooks:version_transition", kwargs={"pk": self.playbook_id, "number": self.number})

    def get_channels_display(self) -> list[str]:
        from incidents.models import Channel

        labels = dict(Channel.choices)
        return [str(labels.get(code, code)) for code in self.channels]


class PlaybookStep(models.Model):
    """One ordered step of a playbook version: what, by which incident role, within how many minutes."""

    version = models.ForeignKey(PlaybookVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("what"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True)
    role = models.ForeignKey(
        "incidents.IncidentRole",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("role"),
    )
    within_minutes = models.PositiveIntegerField(_("within (minutes of activation)"), default=60)

    class Meta:
        ordering = ["version", "position", "id"]
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="playbookstep_position_per_version"),
        ]

    def __str__(self):
        return f"{self.position}. {self.title}"


class PlaybookReminder(models.Model):
    """A review-due reminder sent to a playbook's owner; unique per due date so it goes out once."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="reminders")
    due_date = models.DateField(_("due date"))
    recipient = models.EmailField(_("sent to"), blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("playbook reminder")
        verbose_name_plural = _("playbook reminders")
        constraints = [
            models.UniqueConstraint(fields=["playbook", "due_date"], name="playbookreminder_once_per_due_date"),
        ]

    def __str__(self):
        return f"{self.playbook_id} {self.due_date}"


# --- exercises ------------------------------------------------------------------------------------------------------


class ExerciseStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ExerciseQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ExerciseQuerySet":
        """Exercises of playbooks the user may read."""
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if not user.has_perm("playbooks.view_exercise"):
            return self.none()
        return self


class Exercise(models.Model):
    """A drill on a playbook: when, who took part, what was found and what must follow.

    "Run as exercise" opens an incident flagged ``is_exercise``: the team works it
    for real, but the newsroom, webhooks and metrics leave it out.
    """

    playbook = models.ForeignKey(Playbook, on_delete=models.PROTECT, related_name="exercises")
    title = models.CharField(_("title"), max_length=200)
    scheduled_for = models.DateTimeField(_("date"))
    status = models.CharField(
        _("status"), max_length=12, choices=ExerciseStatus.choices, default=ExerciseStatus.SCHEDULED, editable=False
    )
    participants = models.ManyToManyField(
        "playbooks.Person", blank=True, related_name="exercises", verbose_name=_("participants")
    )
    findings = models.TextField(_("findings"), blank=True)
    follow_up_actions = models.TextField(_("follow-up actions"), blank=True)
    incident = models.OneToOneField(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exercise",
        editable=False,
        verbose_name=_("exercise incident"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        verbose_name = _("exercise")
        verbose_name_plural = _("exercises")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ExerciseStatus.values), name="exercise_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_at__isnull=False), name="exercise_completed_has_time"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("exercises:detail", kwargs={"pk": self.pk})
