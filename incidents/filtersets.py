"""One FilterSet per list: the browser list filters and the API query parameters are the same object."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from crisisdesk.filters import ListedModelChoiceFilter, StrictFilterSet
from incidents.models import (
    Category,
    Fact,
    FactStatus,
    Incident,
    Membership,
    Severity,
    Status,
    TimelineEntry,
    TimelineKind,
)


def _leads():
    # Only people who lead something are worth offering in the lead filter.
    # EXISTS stops at the first led incident (via the lead_id index); a JOIN +
    # DISTINCT over 100,000 incidents cost ~110 ms on every list page.
    return get_user_model().objects.filter(Exists(Incident.objects.filter(lead=OuterRef("pk")))).order_by("username")


class IncidentFilterSet(StrictFilterSet):
    q = django_filters.CharFilter(method="filter_text", label=_("Text"))
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("Status"))
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, label=_("Severity"))
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, label=_("Category"))
    lead = ListedModelChoiceFilter(queryset=lambda request: _leads(), label=_("Lead"))
    detected_after = django_filters.IsoDateTimeFilter(
        field_name="detected_at", lookup_expr="gte", label=_("Detected from")
    )
    detected_before = django_filters.IsoDateTimeFilter(
        field_name="detected_at", lookup_expr="lt", label=_("Detected before")
    )
    active = django_filters.BooleanFilter(method="filter_active", label=_("Active only"))
    confidential = django_filters.BooleanFilter(label=_("Confidential"))
    is_exercise = django_filters.BooleanFilter(label=_("Exercise"))

    class Meta:
        model = Incident
        fields = ["q", "status", "severity", "category", "lead", "detected_after", "detected_before"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__iexact=value) | Q(title__icontains=value) | Q(summary__icontains=value))

    def filter_active(self, queryset, name, value):
        if value is None:
            return queryset
        condition = Q(status__in=[Status.RESOLVED, Status.CLOSED])
        return queryset.exclude(condition) if value else queryset.filter(condition)


class MembershipFilterSet(StrictFilterSet):
    incident = django_filters.CharFilter(field_name="incident__reference", label=_("Incident reference"))
    role = django_filters.CharFilter(field_name="role__code", label=_("Role code"))

    class Meta:
        model = Membership
        fields = ["incident", "user", "role"]


class TimelineEntryFilterSet(StrictFilterSet):
    incident = django_filters.CharFilter(field_name="incident__reference", label=_("Incident reference"))
    kind = django_filters.MultipleChoiceFilter(choices=TimelineKind.choices, label=_("Kind"))
    after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", label=_("After"))
    before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", label=_("Before"))

    class Meta:
        model = TimelineEntry
        fields = ["incident", "kind", "author", "after", "before"]


class FactFilterSet(StrictFilterSet):
    incident = django_filters.CharFilter(field_name="incident__reference", label=_("Incident reference"))
    status = django_filters.MultipleChoiceFilter(choices=FactStatus.choices, label=_("Status"))

    class Meta:
        model = Fact
        fields = ["incident", "status"]
