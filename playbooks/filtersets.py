"""One FilterSet per list: the browser key message list and the API query parameters are the same object."""

import django_filters
from django.utils.translation import gettext_lazy as _

from crisisdesk.filters import StrictFilterSet
from crisisdesk.review.models import ContentLanguage
from incidents.models import Category
from playbooks.models import Exercise, ExerciseStatus, Playbook


class PlaybookFilterSet(StrictFilterSet):
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


class ExerciseFilterSet(StrictFilterSet):
    """Exercises: by playbook and status."""

    status = django_filters.MultipleChoiceFilter(choices=ExerciseStatus.choices, label=_("Status"))

    class Meta:
        model = Exercise
        fields = ["playbook", "status"]
