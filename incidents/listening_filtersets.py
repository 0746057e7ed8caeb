"""Filters of the listening API lists: ``/api/v1/watch-terms/``, ``/spike-rules/`` and ``/alerts/``.

Related objects are filtered by id with plain number filters, not model choice filters: those
would look the id up first and answer 400 for a rule the user cannot see, telling it apart
from one that does not exist. Here both give an empty list.
"""

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Alert, SpikeRule, WatchTerm, WatchTermKind


class WatchTermFilterSet(django_filters.FilterSet):
    active = django_filters.BooleanFilter(label=_("Active"))
    kind = django_filters.MultipleChoiceFilter(choices=WatchTermKind.choices, label=_("Kind"))

    class Meta:
        model = WatchTerm
        fields = ["active", "kind"]


class SpikeRuleFilterSet(django_filters.FilterSet):
    watch_term = django_filters.NumberFilter(field_name="watch_term_id", label=_("Watch term (id)"))
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = SpikeRule
        fields = ["watch_term", "active"]


class AlertFilterSet(django_filters.FilterSet):
    watch_term = django_filters.NumberFilter(field_name="watch_term_id", label=_("Watch term (id)"))
    rule = django_filters.NumberFilter(field_name="rule_id", label=_("Spike rule (id)"))
    fired_after = django_filters.IsoDateTimeFilter(field_name="fired_at", lookup_expr="gte", label=_("Fired from"))
    fired_before = django_filters.IsoDateTimeFilter(field_name="fired_at", lookup_expr="lt", label=_("Fired before"))
    incident = django_filters.CharFilter(field_name="incident__reference", label=_("Incident reference"))

    class Meta:
        model = Alert
        fields = ["watch_term", "rule", "fired_after", "fired_before", "incident"]
