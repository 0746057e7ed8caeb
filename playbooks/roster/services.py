"""Writes to the crisis-team roster, and the "who to call" read.

Team leads keep the roster (``playbooks.change_person`` / ``change_department``);
every CrisisDesk role reads it. Which roles a person can hold is written as a whole
list with the person, so a form, the API and the admin all go through one function.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from crisisdesk.review.models import ContentLanguage
from incidents.models import IncidentRole
from playbooks.roster.models import Department, Person, RoleCapability

PERSON_FIELDS = (
    "full_name",
    "user",
    "department",
    "job_title",
    "phone",
    "email",
    "backup",
    "languages",
    "responsibilities",
    "active",
)


def can_edit_roster(user) -> bool:
    return user.is_authenticated and user.has_perm("playbooks.view_person") and user.has_perm("playbooks.change_person")


def _validate_languages(languages) -> list[str]:
    languages = list(languages or [])
    unknown = [code for code in languages if code not in ContentLanguage.values]
    if unknown:
        raise ValidationError({"languages": _("Unknown language(s): %s") % ", ".join(map(str, unknown))})
    return [code for code in ContentLanguage.values if code in languages]


def _write_capabilities(person: Person, roles) -> None:
    """``roles``: a list of (IncidentRole, priority) pairs, or of roles (priority 1)."""
    rows = []
    seen = set()
    for entry in roles:
        role, priority = entry if isinstance(entry, (tuple, list)) else (entry, 1)
        if not isinstance(role, IncidentRole):
            raise ValidationError({"roles": _("Unknown incident role.")})
        if role.pk in seen:
            continue
        seen.add(role.pk)
        rows.append(RoleCapability(person=person, role=role, priority=max(int(priority or 1), 1)))
    RoleCapability.objects.filter(person=person).delete()
    RoleCapability.objects.bulk_create(rows)


@transaction.atomic
def department_create(*, actor, name: str, description: str = "") -> Department:
    """Add a department to draw the crisis team from."""
    if not actor.has_perm("playbooks.add_department"):
        raise PermissionDenied(_("You may not change the roster."))
    department = Department(name=(name or "").strip(), description=description)
    department.full_clean()
    department.save()
    return department


@transaction.atomic
def department_update(*, actor, department: Department, **changes) -> Department:
    """Rename a department or change its description."""
    if not actor.has_perm("playbooks.change_department"):
        raise PermissionDenied(_("You may not change the roster."))
    unknown = set(changes) - {"name", "description"}
    if unknown:
        raise ValidationError({name: _("This field cannot be edited here.") for name in unknown})
    department = Department.objects.select_for_update().get(pk=department.pk)
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    for name, value in changes.items():
        setattr(department, name, value)
    department.full_clean()
    department.save()
    return department


@transaction.atomic
def capability_set_priority(*, actor, capability: RoleCapability, priority: int) -> RoleCapability:
    """Move someone up or down the call order of one incident role (1 = first call)."""
    if not can_edit_roster(actor):
        raise PermissionDenied(_("You may not change the roster."))
    capability = RoleCapability.objects.select_for_update().get(pk=capability.pk)
    capability.priority = priority
    capability.full_clean()
    capability.save(update_fields=["priority"])
    return capability


@transaction.atomic
def person_create(*, actor, full_name: str, roles=(), **fields) -> Person:
    """Put someone on the roster, with the incident roles they can hold."""
    if not actor.has_perm("playbooks.add_person"):
        raise PermissionDenied(_("You may not change the roster."))
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    fields["languages"] = _validate_languages(fields.get("languages"))
    person = Person(full_name=(full_name or "").strip(), **fields)
    person.full_clean()
    person.save()
    _write_capabilities(person, roles)
    return person


@transaction.atomic
def person_update(*, actor, person: Person, roles=None, **changes) -> Person:
    """Change someone's roster entry; ``roles`` (when given) replaces the roles they can hold."""
    if not can_edit_roster(actor):
        raise PermissionDenied(_("You may not change the roster."))
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be edited here.") for name in unknown})
    person = Person.objects.select_for_update().get(pk=person.pk)
    if "languages" in changes:
        changes["languages"] = _validate_languages(changes["languages"])
    if changes.get("backup") is not None and changes["backup"].pk == person.pk:
        raise ValidationError({"backup": _("Someone cannot be their own backup.")})
    for name, value in changes.items():
        setattr(person, name, value)
    person.full_clean()
    person.save()
    if roles is not None:
        _write_capabilities(person, roles)
    return person


@dataclass
class RoleContacts:
    """Who to call for one incident role: the first call and the backups, in order."""

    role: IncidentRole
    people: list = field(default_factory=list)

    @property
    def primary(self):
        return self.people[0] if self.people else None

    @property
    def backup(self):
        """The primary's named backup person if any, else the next person able to hold the role."""
        primary = self.primary
        if primary is not None and primary.backup is not None and primary.backup.active:
            return primary.backup
        return self.people[1] if len(self.people) > 1 else None


def who_to_call(user, *, roles=None) -> list[RoleContacts]:
    """For every incident role, the active people who can hold it, first call first (three queries).

    ``roles`` (an ``IncidentRole`` queryset, e.g. filtered by ``WhoToCallFilterSet``) narrows the roles.
    """
    if not user.has_perm("playbooks.view_person"):
        return []
    capabilities = RoleCapability.objects.filter(person__active=True).select_related(
        "person__department", "person__backup", "person__user"
    )
    roles = (IncidentRole.objects.all() if roles is None else roles).prefetch_related(
        Prefetch("capabilities", queryset=capabilities.order_by("priority", "person__full_name"), to_attr="ordered")
    )
    return [RoleContacts(role=role, people=[c.person for c in role.ordered]) for role in roles]
