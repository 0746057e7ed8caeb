"""The key message filters, shared by the browser list and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crisisdesk.filters import StrictFilterSet
from crisisdesk.review.models import ContentLanguage, ReviewStatus
from playbooks.keymessages.models import KeyMessage, KeyMessageKind

# Key messages are used, never published, and withdrawing one retires it: say so in the filter.
KEY_MESSAGE_STATUS_CHOICES = [
    (status.value, _("Retired") if status == ReviewStatus.WITHDRAWN else status.label)
    for status in ReviewStatus
    if status != ReviewStatus.PUBLISHED
]


class KeyMessageFilterSet(StrictFilterSet):
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
