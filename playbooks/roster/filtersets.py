"""The roster filters, shared by the browser list and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

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


class WhoToCallFilterSet(StrictFilterSet):
    """Who to call, for some incident roles only (``?role=legal&role=spokesperson``)."""

    role = django_filters.ModelMultipleChoiceFilter(
        to_field_name="code", queryset=IncidentRole.objects.all(), method="filter_role", label=_("Incident role")
    )

    class Meta:
        model = IncidentRole
        fields = ["role"]

    @extend_schema_field(OpenApiTypes.STR)  # each role is sent as its code
    def filter_role(self, queryset, name, value):
        return queryset.filter(pk__in=[role.pk for role in value]) if value else queryset
