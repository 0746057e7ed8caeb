"""Response targets per severity and the record of reminders sent about them.

Imported at the end of ``incidents/models.py`` so Django sees these models as
part of the incidents app. The clocks themselves are computed in
``incidents.response.clocks``; nothing here is stored per incident except the
reminders already sent.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident, Severity

__all__ = ["ReminderClock", "ReminderStage", "ResponseReminder", "ResponseTarget"]


class ResponseTarget(models.Model):
    """How fast the crisis team must react to an incident of one severity; edited by team leads."""

    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, unique=True)
    acknowledge_minutes = models.PositiveIntegerField(
        _("acknowledge within (minutes)"), help_text=_("From detection until someone acknowledges the incident.")
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first public response within (minutes)"), help_text=_("From detection until the first published statement.")
    )
    update_interval_minutes = models.PositiveIntegerField(
        _("public update every (minutes)"),
        null=True,
        blank=True,
        help_text=_("After the first public response, publish an update at least this often. Empty: no cadence."),
    )
    update_window_minutes = models.PositiveIntegerField(
        _("update cadence lasts (minutes)"),
        null=True,
        blank=True,
        help_text=_("How long after detection the update cadence applies. Empty: while the incident is active."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["severity"]
        verbose_name = _("response target")
        verbose_name_plural = _("response targets")
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4), name="response_target_severity"),
            models.CheckConstraint(
                condition=Q(acknowledge_minutes__gte=1, first_response_minutes__gte=1),
                name="response_target_minutes_positive",
            ),
            models.CheckConstraint(
                condition=Q(update_interval_minutes__isnull=True) | Q(update_interval_minutes__gte=1),
                name="response_target_update_interval_positive",
            ),
            models.CheckConstraint(
                condition=Q(update_window_minutes__isnull=True) | Q(update_window_minutes__gte=1),
                name="response_target_update_window_positive",
            ),
        ]

    def __str__(self):
        return str(Severity(self.severity).label)


class ReminderClock(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledge")
    FIRST_RESPONSE = "first_response", _("First public response")
    UPDATE = "update", _("Public update")
    LEGAL_REVIEW = "legal_review", _("Review waiting")
    TASK = "task", _("Playbook task")


class ReminderStage(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class ResponseReminder(models.Model):
    """One reminder that went out. ``key`` is unique, so two overlapping beat runs never send it twice.

    The key names the incident (or review request), the clock, the cycle (an update
    cadence has one per due time) and the stage.
    """

    key = models.CharField(max_length=200, unique=True)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="response_reminders"
    )
    clock = models.CharField(_("clock"), max_length=20, choices=ReminderClock.choices)
    stage = models.CharField(_("stage"), max_length=10, choices=ReminderStage.choices)
    due_at = models.DateTimeField(_("due at"))
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("response reminder")
        verbose_name_plural = _("response reminders")
        constraints = [
            models.CheckConstraint(condition=Q(clock__in=ReminderClock.values), name="response_reminder_clock_valid"),
            models.CheckConstraint(condition=Q(stage__in=ReminderStage.values), name="response_reminder_stage_valid"),
        ]

    def __str__(self):
        return self.key
