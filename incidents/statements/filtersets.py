"""The one FilterSet of statement lists: the API's query parameters and the browser list's filters."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crisisdesk.filters import StrictFilterSet
from crisisdesk.review.models import ContentLanguage, ReviewStatus
from incidents.models import Channel
from incidents.statements.models import Statement


class StatementFilterSet(StrictFilterSet):
    incident = django_filters.CharFilter(field_name="incident__reference", label=_("Incident reference"))
    status = django_filters.MultipleChoiceFilter(choices=ReviewStatus.choices, label=_("Status"))
    language = django_filters.ChoiceFilter(choices=ContentLanguage.choices, label=_("Language"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, method="filter_channel", label=_("Channel"))
    q = django_filters.CharFilter(method="filter_text", label=_("Text"))

    class Meta:
        model = Statement
        fields = ["incident", "status", "language", "channel", "q"]

    def filter_channel(self, queryset, name, value):
        if not value:
            return queryset
        # ``channels`` is a JSON list of codes. JSON containment is not available on
        # SQLite, so match the quoted code in the stored text: codes contain no quote,
        # so '"x"' matches the element "x" and never a longer code.
        return queryset.filter(channels__icontains=f'"{value}"')

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(body__icontains=value))
