"""The crisis-team roster: departments, people, and which incident roles each person can hold.

Imported at the end of ``playbooks/models.py`` so Django sees these models as part
of the playbooks app. Role definitions (name, written responsibilities) are
``incidents.IncidentRole``: the roster links people to them with a priority, and
the "who to call" page reads primary and backup from that.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crisisdesk.review.models import ContentLanguage

__all__ = ["Department", "Person", "PersonQuerySet", "RoleCapability"]


class Department(models.Model):
    """A part of the organisation the crisis team is drawn from (customer service, PR, marketing…)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PersonQuerySet":
        """The roster is for the crisis team: every CrisisDesk role reads it, an outsider none."""
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if not user.has_perm("playbooks.view_person"):
            return self.none()
        return self


class Person(models.Model):
    """Someone on the crisis roster: how to reach them, who stands in for them, what they are responsible for."""

    full_name = models.CharField(_("name"), max_length=200)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="roster_entry",
        verbose_name=_("user account"),
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="people", verbose_name=_("department")
    )
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    backup = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backing_up",
        verbose_name=_("backup person"),
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    responsibilities = models.TextField(_("responsibilities"), blank=True)
    roles = models.ManyToManyField(
        "incidents.IncidentRole", through="RoleCapability", related_name="roster_people", verbose_name=_("roles")
    )
    active = models.BooleanField(_("active"), default=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(condition=~Q(backup=F("pk")), name="person_not_own_backup"),
        ]

    def __str__(self):
        return self.full_name

    def get_languages_display(self) -> list[str]:
        labels = dict(ContentLanguage.choices)
        return [str(labels.get(code, code)) for code in self.languages]


class RoleCapability(models.Model):
    """A person who can hold an incident role; priority 1 is the first call, higher numbers are backups."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="capabilities")
    role = models.ForeignKey("incidents.IncidentRole", on_delete=models.CASCADE, related_name="capabilities")
    priority = models.PositiveSmallIntegerField(_("priority"), default=1, help_text=_("1 = first call."))

    class Meta:
        ordering = ["role__position", "priority", "person__full_name"]
        verbose_name = _("role capability")
        verbose_name_plural = _("role capabilities")
        constraints = [
            models.UniqueConstraint(fields=["person", "role"], name="rolecapability_once_per_person"),
            models.CheckConstraint(condition=Q(priority__gte=1), name="rolecapability_priority_positive"),
        ]

    def __str__(self):
        return f"{self.person} — {self.role} ({self.priority})"
