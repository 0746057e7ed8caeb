"""One FilterSet per list, shared by the browser lists and the API query parameters."""

import django_filters
from django.utils.translation import gettext_lazy as _

from crisisdesk.filters import StrictFilterSet
from crisisdesk.review.models import ReviewStatus
from incidents.models import Category, Severity
from postmortems.models import ActionItem, ActionItemStatus, PostmortemReview, Priority


class PostmortemFilterSet(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReviewStatus.choices, label=_("Status"))
    category = django_filters.ChoiceFilter(
        field_name="incident__category", choices=Category.choices, label=_("Category")
    )
    severity = django_filters.ChoiceFilter(
        field_name="incident__severity", choices=Severity.choices, label=_("Severity")
    )
    incident = django_filters.CharFilter(field_name="incident__reference", label=_("Incident reference"))

    class Meta:
        model = PostmortemReview
        fields = ["status", "category", "severity", "incident"]


class ActionItemFilterSet(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ActionItemStatus.choices, label=_("Status"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("Priority"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Mine"))

    class Meta:
        model = ActionItem
        fields = ["status", "priority", "review", "owner"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))

    def filter_mine(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        return queryset.filter(owner=self.request.user)
