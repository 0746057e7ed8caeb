"""One FilterSet per list: the browser key message list and the API query parameters are the same object."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.review.models import ContentLanguage, ReviewStatus
from incidents.checklist.models import IncidentTask, TaskStatus
from incidents.models import Category, IncidentRole
from playbooks.models import Exercise, ExerciseStatus, KeyMessage, KeyMessageKind, Playbook
from playbooks.roster.models import Department, Person

# Key messages are used, never published, and withdrawing one retires it: say so in the filter.
KEY_MESSAGE_STATUS_CHOICES = [
    (status.value, _("Retired") if status == ReviewStatus.WITHDRAWN else status.label)
    for status in ReviewStatus
    if status != ReviewStatus.PUBLISHED
]


class KeyMessageFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label=_("Text"))
    status = django_filters.MultipleChoiceFilter(choices=KEY_MESSAGE_STATUS_CHOICES, label=_("Status"))
    kind = django_filters.MultipleChoiceFilter(choices=KeyMessageKind.choices, label=_("Kind"))
    language = django_filters.ChoiceFilter(choices=ContentLanguage.choices, label=_("Language"))
    usable = django_filters.BooleanFilter(method="filter_usable", label=_("Usable now (approved, unexpired)"))

    class Meta:
        model = KeyMessage
        fields = ["q", "status", "kind", "language", "usable"]

    def filter_usable(self, queryset, name, value):
        if value is None:
            return queryset
        usable = KeyMessage.objects.usable().values("pk")
        return queryset.filter(pk__in=usable) if value else queryset.exclude(pk__in=usable)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(topic__icontains=value) | Q(title__icontains=value) | Q(body__icontains=value))


class PlaybookFilterSet(django_filters.FilterSet):
    """Playbooks: browser list and API share it."""

    q = django_filters.CharFilter(method="filter_text", label=_("Text"))
    scenario = django_filters.MultipleChoiceFilter(choices=Category.choices, label=_("Scenario"))
    language = django_filters.ChoiceFilter(choices=ContentLanguage.choices, label=_("Language"))
    stale = django_filters.BooleanFilter(method="filter_stale", label=_("Review overdue"))

    class Meta:
        model = Playbook
        fields = ["q", "scenario", "language", "stale"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(title__icontains=value) if value else queryset

    def filter_stale(self, queryset, name, value):
        if value is None:
            return queryset
        stale = Playbook.objects.stale().values("pk")
        return queryset.filter(pk__in=stale) if value else queryset.exclude(pk__in=stale)


class PersonFilterSet(django_filters.FilterSet):
    """The roster: by department, incident role and language."""

    q = django_filters.CharFilter(method="filter_text", label=_("Name"))
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.all(), label=_("Department"))
    role = django_filters.ModelChoiceFilter(
        field_name="roles", queryset=IncidentRole.objects.all(), label=_("Can hold role"), distinct=True
    )
    language = django_filters.ChoiceFilter(choices=ContentLanguage.choices, method="filter_language", label=_("Speaks"))

    class Meta:
        model = Person
        fields = ["q", "department", "role", "language", "active"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(full_name__icontains=value) if value else queryset

    def filter_language(self, queryset, name, value):
        # JSON "contains" is not portable to SQLite; the list is short, so match the quoted code.
        return queryset.filter(languages__icontains=f'"{value}"') if value else queryset


class ExerciseFilterSet(django_filters.FilterSet):
    """Exercises: by playbook and status."""

    status = django_filters.MultipleChoiceFilter(choices=ExerciseStatus.choices, label=_("Status"))

    class Meta:
        model = Exercise
        fields = ["playbook", "status"]


class TaskFilterSet(django_filters.FilterSet):
    """Incident tasks: by incident reference, status, assignee; ``overdue`` for the open ones past due."""

    incident = django_filters.CharFilter(field_name="incident__reference", label=_("Incident"))
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices, label=_("Status"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))

    class Meta:
        model = IncidentTask
        fields = ["incident", "status", "assignee", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(status=TaskStatus.OPEN, due_at__lt=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
