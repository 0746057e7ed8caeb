"""The mention inbox's filters, shared by the browser inbox and ``/api/v1/mentions/``."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from crisisdesk.filters import ListedModelChoiceFilter, StrictFilterSet
from incidents.listening.models import (
    Alert,
    FollowUpChannel,
    Mention,
    MentionStatus,
    PrivateFollowUp,
    Sentiment,
    SpikeRule,
    WatchTerm,
    WatchTermKind,
)


class MentionFilterSet(StrictFilterSet):
    q = django_filters.CharFilter(field_name="text", lookup_expr="icontains", label=_("Text"))
    platform = django_filters.CharFilter(label=_("Platform"))
    sentiment = django_filters.MultipleChoiceFilter(
        field_name="sentiment_label", choices=Sentiment.choices, label=_("Sentiment")
    )
    # Checkboxes styled as toggle chips (Bootstrap's ``btn-check``: CSS only, works without JavaScript).
    status = django_filters.MultipleChoiceFilter(
        choices=MentionStatus.choices,
        label=_("Status"),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "btn-check"}),
    )
    term = ListedModelChoiceFilter(
        field_name="term_matches__watch_term", queryset=WatchTerm.objects.all(), label=_("Watch term")
    )
    min_audience = django_filters.NumberFilter(field_name="audience", lookup_expr="gte", label=_("Audience at least"))
    incident = django_filters.CharFilter(field_name="incident__reference", label=_("Incident reference"))
    posted_after = django_filters.IsoDateTimeFilter(field_name="posted_at", lookup_expr="gte", label=_("Posted from"))
    posted_before = django_filters.IsoDateTimeFilter(field_name="posted_at", lookup_expr="lt", label=_("Posted before"))

    class Meta:
        model = Mention
        fields = ["q", "platform", "sentiment", "status", "term", "min_audience", "incident"]


class WatchTermFilterSet(StrictFilterSet):
    active = django_filters.BooleanFilter(label=_("Active"))
    kind = django_filters.MultipleChoiceFilter(choices=WatchTermKind.choices, label=_("Kind"))

    class Meta:
        model = WatchTerm
        fields = ["active", "kind"]


class SpikeRuleFilterSet(StrictFilterSet):
    watch_term = django_filters.NumberFilter(field_name="watch_term_id", label=_("Watch term (id)"))
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = SpikeRule
        fields = ["watch_term", "active"]


class AlertFilterSet(StrictFilterSet):
    watch_term = django_filters.NumberFilter(field_name="watch_term_id", label=_("Watch term (id)"))
    rule = django_filters.NumberFilter(field_name="rule_id", label=_("Spike rule (id)"))
    fired_after = django_filters.IsoDateTimeFilter(field_name="fired_at", lookup_expr="gte", label=_("Fired from"))
    fired_before = django_filters.IsoDateTimeFilter(field_name="fired_at", lookup_expr="lt", label=_("Fired before"))
    incident = django_filters.CharFilter(field_name="incident__reference", label=_("Incident reference"))
    unhandled = django_filters.BooleanFilter(
        field_name="handled_at", lookup_expr="isnull", label=_("Not handled yet (true) or handled (false)")
    )

    class Meta:
        model = Alert
        fields = ["watch_term", "rule", "fired_after", "fired_before", "incident", "unhandled"]


class FollowUpFilterSet(StrictFilterSet):
    incident = django_filters.CharFilter(field_name="incident__reference", label=_("Incident reference"))
    # Bounded: an id no database column can hold is a 400, not an overflow in the driver.
    mention = django_filters.NumberFilter(
        field_name="mention_id", label=_("Mention (id)"), min_value=1, max_value=2**63 - 1, decimal_places=0
    )
    channel = django_filters.MultipleChoiceFilter(choices=FollowUpChannel.choices, label=_("Channel"))

    class Meta:
        model = PrivateFollowUp
        fields = ["incident", "mention", "channel"]
