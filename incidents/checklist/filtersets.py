"""The incident task filters of the API."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.filters import StrictFilterSet
from incidents.checklist.models import IncidentTask, TaskStatus


class TaskFilterSet(StrictFilterSet):
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
