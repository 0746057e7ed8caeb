"""Incident tasks: a playbook's steps turned into an incident's checklist when the playbook is activated.

Imported at the end of ``incidents/models.py`` so Django sees these models as part
of the incidents app. Only ``incidents.checklist.services`` writes them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from incidents.models import Incident, IncidentRole

__all__ = ["IncidentTask", "PlaybookActivation", "TaskStatus"]


class PlaybookActivation(models.Model):
    """A playbook activated on an incident, with the version whose steps became tasks.

    Unique per (incident, playbook): activating the same playbook twice finds this
    row and creates nothing.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="activations")
    playbook = models.ForeignKey("playbooks.Playbook", on_delete=models.PROTECT, related_name="activations")
    version = models.ForeignKey("playbooks.PlaybookVersion", on_delete=models.PROTECT, related_name="activations")
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    activated_at = models.DateTimeField(_("activated at"))

    class Meta:
        ordering = ["activated_at", "id"]
        verbose_name = _("playbook activation")
        verbose_name_plural = _("playbook activations")
        constraints = [
            models.UniqueConstraint(fields=["incident", "playbook"], name="activation_once_per_incident"),
        ]

    def __str__(self):
        return f"{self.incident_id} ← {self.playbook_id} v{self.version_id}"


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "Open")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


class IncidentTask(models.Model):
    """One checklist item of an incident, from one playbook step: who, by when, done or skipped (and why)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    activation = models.ForeignKey(PlaybookActivation, on_delete=models.CASCADE, related_name="tasks")
    step = models.ForeignKey("playbooks.PlaybookStep", on_delete=models.PROTECT, related_name="tasks")
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("what"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True)
    role = models.ForeignKey(
        IncidentRole, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("role")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incident_tasks",
        verbose_name=_("assignee"),
    )
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN, editable=False
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    note = models.TextField(_("note or reason"), blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "activation_id", "position", "id"]
        verbose_name = _("incident task")
        verbose_name_plural = _("incident tasks")
        permissions = [("complete_incidenttask", "Can complete or skip incident tasks")]
        indexes = [models.Index(fields=["status", "due_at"])]
        constraints = [
            # Activating twice cannot duplicate a step, whatever the Python code does.
            models.UniqueConstraint(fields=["incident", "step"], name="task_once_per_step"),
            models.CheckConstraint(condition=Q(status__in=TaskStatus.values), name="task_status_valid"),
            models.CheckConstraint(
                condition=Q(status="open") | Q(completed_at__isnull=False), name="task_closed_has_time"
            ),
            models.CheckConstraint(condition=~Q(status="skipped") | ~Q(note=""), name="task_skipped_has_reason"),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.position}. {self.title}"

    def is_overdue(self, *, now=None) -> bool:
        return self.status == TaskStatus.OPEN and self.due_at < (now or timezone.now())
