"""The roster filters, shared by the browser list and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from crisisdesk.filters import StrictFilterSet
from crisisdesk.review.models import ContentLanguage
from incidents.models import IncidentRole
from playbooks.roster.models import Department, Person


class PersonFilterSet(StrictFilterSet):
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
