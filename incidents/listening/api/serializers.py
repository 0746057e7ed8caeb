"""Read representation of mentions and the small input serializers of triage actions.

Ingest payloads are not validated here: ``incidents.listening.parsing.parse_mention`` does it, for the
API, CSV import and feeds alike, and fast enough for 1,000-item batches.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crisisdesk.api.fields import VisiblePrimaryKeyRelatedField
from crisisdesk.api.serializers import StrictInputMixin, enum_field
from incidents.api.serializers import VisibleIncidentField
from incidents.listening import services as mention_services
from incidents.listening.models import (
    AUDIENCE_MAX,
    MENTION_TEXT_MAX,
    Alert,
    AlertHandling,
    FollowUpChannel,
    Mention,
    MentionStatus,
    PrivateFollowUp,
    SpikeAction,
    SpikeRule,
    WatchTerm,
    WatchTermKind,
)
from incidents.models import Category, Severity


class MentionSerializer(serializers.ModelSerializer):
    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    watch_terms = serializers.SerializerMethodField()

    class Meta:
        model = Mention
        fields = [
            "id",
            "platform",
            "external_id",
            "url",
            "author",
            "audience",
            "text",
            "language",
            "posted_at",
            "edited_at",
            "sentiment",
            "sentiment_label",
            "sentiment_source",
            "status",
            "incident",
            "reply_url",
            "watch_terms",
            "received_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_watch_terms(self, mention) -> list[str]:
        return [match.watch_term.term for match in mention.term_matches.all()]


class MentionInputSerializer(StrictInputMixin, serializers.Serializer):
    """Documents one ingested mention (validation is ``parse_mention``'s); any other field is refused."""

    platform = serializers.CharField(max_length=32)
    external_id = serializers.CharField(
        max_length=200, help_text=_("A non-empty string or an integer (0 included); never a float, object or list.")
    )
    text = serializers.CharField(max_length=MENTION_TEXT_MAX, help_text=_("No NUL characters or lone surrogates."))
    posted_at = serializers.DateTimeField(
        help_text=_("ISO 8601 with a time zone, from 1970-01-01 to before 2100-01-01.")
    )
    edited_at = serializers.DateTimeField(
        required=False,
        help_text=_(
            "The source's edit time (same rules as posted_at). A redelivery replaces the stored copy only "
            "when its version (the later of posted_at and edited_at) is newer, or equal with changes."
        ),
    )
    url = serializers.URLField(required=False, max_length=1000)
    author = serializers.CharField(required=False, max_length=200)
    audience = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=AUDIENCE_MAX,
        help_text=_("A JSON integer (or a string of digits); floats, even 12.0, and booleans are refused."),
    )
    language = serializers.CharField(required=False, max_length=8)
    sentiment = serializers.FloatField(
        required=False, min_value=-1, max_value=1, help_text=_("The monitoring tool's own score wins when given.")
    )


class BulkInputSerializer(StrictInputMixin, serializers.Serializer):
    mentions = MentionInputSerializer(many=True, max_length=1000)


BulkItemStatusField = enum_field(
    "BulkItemStatusField",
    [(v, v) for v in ("created", "updated", "unchanged", "rejected")],
    component="BulkItemStatus",
    doc="What a bulk ingest did with one item.",
)


class BulkItemResultSerializer(serializers.Serializer):
    """What happened to one item of a bulk request."""

    index = serializers.IntegerField(help_text=_("The item's position in the request, from 0."))
    status = BulkItemStatusField(
        help_text=_(
            "unchanged: the stored copy is newer or identical; rejected: not stored, see field and message "
            "(a second copy of the same platform + external id in one batch is rejected)."
        ),
    )
    id = serializers.IntegerField(required=False, help_text=_("The mention's id (all but rejected)."))
    field = serializers.CharField(required=False, help_text=_("The bad field (rejected only)."))
    message = serializers.CharField(required=False, help_text=_("Why (rejected only)."))


class BulkResultSerializer(serializers.Serializer):
    """A bulk ingest's answer: counts, then one result per item in input order."""

    stored = serializers.IntegerField(help_text=_("Items accepted: created + updated + unchanged."))
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = BulkItemResultSerializer(many=True)


MentionStatusField = enum_field(
    "MentionStatusField", MentionStatus.choices, component="MentionStatus", doc="A mention's triage status."
)


class TriageInputSerializer(StrictInputMixin, serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), max_length=1000)
    status = MentionStatusField(required=False)
    incident = serializers.CharField(required=False, help_text=_("Reference of an active incident to link."))


class OpenIncidentInputSerializer(StrictInputMixin, serializers.Serializer):
    mentions = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=1000,
        help_text=_("Ids of the mentions the incident is opened from; each must be one you may see."),
    )
    title = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=_("The incident's title; blank or absent, it is suggested from the mentions' top watch terms."),
    )


# Named components: several models have a "kind" or an "action" with other choices.
WatchTermKindField = enum_field(
    "WatchTermKindField",
    WatchTermKind.choices,
    component="WatchTermKind",
    doc="What a watch term names: brand, product, hashtag, person, other.",
)


SpikeActionField = enum_field(
    "SpikeActionField", SpikeAction.choices, component="SpikeAction", doc="What a firing rule does besides alerting."
)
# A rule's defaults for the incident opened from its alerts (the incident's own choices).
SpikeRuleCategoryField = enum_field(
    "SpikeRuleCategoryField",
    Category.choices,
    component="SpikeRuleCategory",
    doc="The category of an incident opened from the rule's alerts.",
)
SpikeRuleSeverityField = enum_field(
    "SpikeRuleSeverityField",
    Severity.choices,
    component="SpikeRuleSeverity",
    doc="The severity of an incident opened from the rule's alerts: 1 critical … 4 low.",
)
NAMED_RULE_FIELDS = {
    "action": SpikeActionField,
    "default_category": SpikeRuleCategoryField,
    "default_severity": SpikeRuleSeverityField,
}


# --- watch terms -------------------------------------------------------------------------------


class WatchTermSerializer(serializers.ModelSerializer):
    """A watch term, with how many mentions matched it over the last 24 hours."""

    kind = WatchTermKindField(read_only=True)
    mentions_last_24h = serializers.IntegerField(
        read_only=True, help_text=_("Mentions matching the term posted in the last 24 hours.")
    )

    class Meta:
        model = WatchTerm
        fields = ["id", "term", "kind", "active", "created_at", "mentions_last_24h"]
        read_only_fields = fields


class WatchTermCreateSerializer(StrictInputMixin, serializers.Serializer):
    """Start listening for a term (team leads); a term already watched, in any case, is refused."""

    term = serializers.CharField(max_length=100)
    kind = WatchTermKindField(default=WatchTermKind.BRAND)


class WatchTermUpdateSerializer(StrictInputMixin, serializers.Serializer):
    """Pause or resume listening for a term: ``active`` is the only field that changes."""

    active = serializers.BooleanField()


# --- spike rules -------------------------------------------------------------------------------


class SpikeRuleFieldsMixin:
    """Builds the rule's fields from the model: the incident by reference, the action as a named enum."""

    incident_field_class = serializers.SlugRelatedField
    watch_term_field_class = serializers.PrimaryKeyRelatedField

    def build_relational_field(self, field_name, relation_info):
        field_class, field_kwargs = super().build_relational_field(field_name, relation_info)
        if field_name == "attach_to":
            return self.incident_field_class, {**field_kwargs, "slug_field": "reference"}
        if field_name == "watch_term":
            return self.watch_term_field_class, field_kwargs
        return field_class, field_kwargs

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if field_name in NAMED_RULE_FIELDS:
            return NAMED_RULE_FIELDS[field_name], field_kwargs
        return field_class, field_kwargs


class SpikeRuleSerializer(SpikeRuleFieldsMixin, serializers.ModelSerializer):
    """A spike rule: its settings (``SPIKE_RULE_FIELDS``), when it last fired, who wrote it."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SpikeRule
        fields = ["id", *mention_services.SPIKE_RULE_FIELDS, "last_fired_at", "created_by", "created_at"]
        read_only_fields = fields


class SpikeRuleInputSerializer(SpikeRuleFieldsMixin, StrictInputMixin, serializers.ModelSerializer):
    """The writable settings of a rule, exactly ``mention_services.SPIKE_RULE_FIELDS``.

    ``attach_to`` is an incident reference among those the user may see: a confidential one
    answers like a missing one. Nothing is saved here: ``spike_rule_save`` validates the rule.
    """

    incident_field_class = VisibleIncidentField
    watch_term_field_class = VisiblePrimaryKeyRelatedField

    class Meta:
        model = SpikeRule
        fields = list(mention_services.SPIKE_RULE_FIELDS)

    def validate_attach_to(self, incident):
        # Checked here rather than left to the service, so the error names this field.
        if incident is not None and not incident.is_active:
            raise serializers.ValidationError(_("Alerts can only be attached to an active incident."))
        return incident


class SpikeRuleUpdateSerializer(SpikeRuleInputSerializer):
    """Change some settings of a rule (PATCH): only the fields sent change; ``active: false`` deactivates it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


# --- alerts ------------------------------------------------------------------------------------


class AlertCurvePointSerializer(serializers.Serializer):
    """One bucket of the curve: its start, the mentions in it and how many were negative."""

    at = serializers.DateTimeField()
    count = serializers.IntegerField()
    negative = serializers.IntegerField()


class AlertEvidenceSerializer(serializers.Serializer):
    """What the rule saw: sample mentions of the window and the curve over it and the window before."""

    mention_ids = serializers.ListField(child=serializers.IntegerField())
    curve = AlertCurvePointSerializer(many=True)
    baseline_windows = serializers.ListField(
        child=serializers.CharField(),
        help_text=_(
            "The reference windows the baseline came from: day1…dayN (the same window on past days) "
            "or prev1…prevN (the windows just before, until the term has history)."
        ),
    )
    late_mentions = serializers.IntegerField(
        help_text=_("Mentions of the window that arrived after the alert fired; its figures include them.")
    )
    recomputed_at = serializers.DateTimeField(
        allow_null=True, help_text=_("When late mentions last changed the figures (null: as fired).")
    )
    fired_with = serializers.DictField(
        allow_null=True, help_text=_("The figures the alert fired with: count, baseline, negative shares.")
    )


AlertHandlingField = enum_field(
    "AlertHandlingField",
    [("", _("Not handled yet")), *AlertHandling.choices],
    component="AlertHandling",
    doc="How an alert was handled: an incident opened or attached, dismissed; empty while unhandled.",
)


class AlertSerializer(serializers.ModelSerializer):
    """A fired spike rule: counts against the baseline, negative shares, the window, evidence, incident, handling."""

    rule_name = serializers.CharField(source="rule.name", read_only=True)
    handling = AlertHandlingField(read_only=True)
    handled_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    term = serializers.CharField(source="watch_term.term", read_only=True)
    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "rule_name",
            "watch_term",
            "term",
            "fired_at",
            "window_start",
            "window_end",
            "count",
            "baseline",
            "negative_share",
            "baseline_negative_share",
            "evidence",
            "incident",
            "handling",
            "handled_at",
            "handled_by",
            "dismiss_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(AlertEvidenceSerializer)
    def get_evidence(self, alert) -> dict:
        evidence = alert.evidence or {}
        return {
            "mention_ids": evidence.get("mention_ids", []),
            "curve": evidence.get("curve", []),
            "baseline_windows": evidence.get("baseline_windows", []),
            "late_mentions": evidence.get("late_mentions", 0),
            "recomputed_at": evidence.get("recomputed_at"),
            "fired_with": evidence.get("fired_with"),
        }


class AlertDismissInputSerializer(StrictInputMixin, serializers.Serializer):
    """Dismiss an unhandled alert: why (required, kept on the alert and in the audit trail)."""

    reason = serializers.CharField(max_length=2000, help_text=_("Why this alert needs no incident."))


class AlertAttachInputSerializer(StrictInputMixin, serializers.Serializer):
    """Attach an unhandled alert to an active incident you may see (by reference)."""

    incident = VisibleIncidentField(help_text=_("Reference of an active incident."))

    def validate_incident(self, incident):
        if not incident.is_active:
            raise serializers.ValidationError(_("Alerts can only be attached to an active incident."))
        return incident


# --- answers and private follow-ups -------------------------------------------------------------


class AnswerInputSerializer(StrictInputMixin, serializers.Serializer):
    """Record our public answer to a mention: the URL of the reply; the mention becomes answered."""

    reply_url = serializers.CharField(max_length=1000, help_text=_("An http(s) URL."))


FollowUpChannelField = enum_field(
    "FollowUpChannelField",
    FollowUpChannel.choices,
    component="FollowUpChannel",
    doc="Where a conversation went private: direct message, email or phone.",
)


class FollowUpSerializer(serializers.ModelSerializer):
    """A conversation moved to a private channel with one complainant, and its outcome (team only)."""

    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    channel = FollowUpChannelField(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = PrivateFollowUp
        fields = ["id", "mention", "incident", "channel", "outcome", "created_by", "created_at"]
        read_only_fields = fields


class FollowUpInputSerializer(StrictInputMixin, serializers.Serializer):
    """Move a mention's conversation to a private channel; the incident defaults to the mention's own."""

    channel = FollowUpChannelField()
    incident = VisibleIncidentField(
        required=False, allow_null=True, help_text=_("Reference of an active incident whose team you are on.")
    )
    outcome = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")
