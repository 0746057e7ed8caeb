"""API representations of incidents, crisis teams, timelines and facts.

Read serializers describe objects; input serializers only validate the shape of
a request. Neither saves anything: API views hand the validated data to
``incidents.services``, where every write and every rule lives.
"""

import re

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.relations import Hyperlink

from crisisdesk.api.fields import VisibleSlugRelatedField
from crisisdesk.api.serializers import (
    StrictInputMixin,
    UserBriefSerializer,
    datetime_representation,
    enum_field,
    fast_representation_allowed,
    user_brief,
)
from crisisdesk.review.models import ContentLanguage
from incidents import hooks, services
from incidents.models import (
    MANUAL_TIMELINE_KINDS,
    Category,
    Channel,
    Fact,
    FactStatus,
    Incident,
    IncidentRole,
    Membership,
    Severity,
    Status,
    TimelineEntry,
    TimelineKind,
)

User = get_user_model()


class VisibleIncidentField(VisibleSlugRelatedField):
    """An incident named by its reference, among those the requesting user may see.

    An invisible incident is reported exactly like a missing one, so a POST
    cannot be used to probe which confidential references exist.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "reference")
        kwargs.setdefault("queryset", Incident.objects.all())
        super().__init__(**kwargs)


# Incidents and facts both have a "status" with different choices; naming each
# enum once keeps the OpenAPI schema free of generated names like "StatusAcdEnum".
IncidentStatusField = enum_field(
    "IncidentStatusField", Status.choices, component="IncidentStatus", doc="An incident status."
)


FactStatusField = enum_field(
    "FactStatusField", FactStatus.choices, component="FactStatus", doc="A fact's verification status."
)


FACT_VERDICTS = [
    (FactStatus.CONFIRMED.value, FactStatus.CONFIRMED.label),
    (FactStatus.REFUTED.value, FactStatus.REFUTED.label),
]


FactVerdictField = enum_field(
    "FactVerdictField",
    FACT_VERDICTS,
    component="FactVerdict",
    doc="What a verification may conclude: confirmed or refuted.",
)


def active_users():
    return User.objects.filter(is_active=True)


# --- incidents ------------------------------------------------------------------------

# ``{str(value): value}`` as DRF's ChoiceField maps a model value to its representation.
_SEVERITIES = {str(value): value for value, _label in Severity.choices}
_STATUSES = {str(value): value for value, _label in Status.choices}
_CATEGORIES = {str(value): value for value, _label in Category.choices}
_CHANNELS = {str(value): value for value, _label in Channel.choices}
# A reference made of these characters is what reverse() would put in the URL unchanged.
_PLAIN_REFERENCE = re.compile(r"[A-Za-z0-9._~-]+")
_URL_PLACEHOLDER = "REFERENCE"


def _choice(mapping: dict, value):
    if value in ("", None):
        return value
    return mapping.get(str(value), value)


class IncidentSerializer(serializers.ModelSerializer):
    """An incident as lists show it: description, status, severity and clocks."""

    url = serializers.HyperlinkedIdentityField(view_name="api:incident-detail", lookup_field="reference")
    affected_channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices), read_only=True)
    lead = UserBriefSerializer(read_only=True, allow_null=True)
    status = IncidentStatusField(read_only=True)

    class Meta:
        model = Incident
        fields = [
            "url",
            "reference",
            "title",
            "summary",
            "category",
            "severity",
            "status",
            "source",
            "affected_channels",
            "confidential",
            "is_exercise",
            "lead",
            "detected_at",
            "acknowledged_at",
            "first_public_response_at",
            "resolved_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    # Written out by hand (issue 15): DRF built the 19 fields (and the lead's 3) on every request
    # and walked them for every row, and reverse()d each row's URL, which was most of the list's
    # CPU time. The declared fields above stay the contract (the OpenAPI schema is built from them);
    # ``generic_representation`` is DRF's path and a test holds the two equal, key for key.
    def to_representation(self, incident):
        if not fast_representation_allowed(self.context):
            return self.generic_representation(incident)
        zone = timezone.get_current_timezone()
        lead = incident.lead
        return {
            "url": self._url(incident),
            "reference": _str(incident.reference),
            "title": _str(incident.title),
            "summary": _str(incident.summary),
            "category": _choice(_CATEGORIES, incident.category),
            "severity": _choice(_SEVERITIES, incident.severity),
            "status": _choice(_STATUSES, incident.status),
            "source": _str(incident.source),
            "affected_channels": _channels(incident.affected_channels),
            "confidential": _bool(incident.confidential),
            "is_exercise": _bool(incident.is_exercise),
            "lead": None if lead is None else user_brief(lead),
            "detected_at": datetime_representation(incident.detected_at, zone),
            "acknowledged_at": datetime_representation(incident.acknowledged_at, zone),
            "first_public_response_at": datetime_representation(incident.first_public_response_at, zone),
            "resolved_at": datetime_representation(incident.resolved_at, zone),
            "closed_at": datetime_representation(incident.closed_at, zone),
            "created_at": datetime_representation(incident.created_at, zone),
            "updated_at": datetime_representation(incident.updated_at, zone),
        }

    def generic_representation(self, incident):
        return super().to_representation(incident)

    def _url(self, incident):
        """What ``HyperlinkedIdentityField`` answers, from one reversed prefix per request instead of a reverse() per row."""
        reference = incident.reference
        if incident.pk in (None, ""):
            return None
        if not isinstance(reference, str) or not _PLAIN_REFERENCE.fullmatch(reference):
            return self.fields["url"].to_representation(incident)
        parts = getattr(self, "_url_parts", None)
        if parts is None:
            path = reverse("api:incident-detail", kwargs={"reference": _URL_PLACEHOLDER})
            parts = self._url_parts = self.context["request"].build_absolute_uri(path).split(_URL_PLACEHOLDER)
        return Hyperlink(reference.join(parts), incident)


class IncidentDetailSerializer(IncidentSerializer):
    """One incident, with the workflow moves the requesting user may make now."""

    allowed_transitions = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "allowed_transitions"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=IncidentStatusField()))
    def get_allowed_transitions(self, incident) -> list[str]:
        return services.user_transitions(user=self.context["request"].user, incident=incident)

    def to_representation(self, incident):
        representation = super().to_representation(incident)
        if "allowed_transitions" not in representation:  # the fast path (the generic one has every field)
            representation["allowed_transitions"] = self.get_allowed_transitions(incident)
        return representation


def _str(value):
    return None if value is None else str(value)


def _bool(value):
    return None if value is None else serializers.BooleanField.to_representation(_BOOLEAN, value)


_BOOLEAN = serializers.BooleanField()


def _channels(channels):
    if channels is None:
        return None
    return [None if channel is None else _choice(_CHANNELS, channel) for channel in channels]


class IncidentCreateSerializer(StrictInputMixin, serializers.Serializer):
    """What it takes to open an incident; the reference, status and clocks are set by the service."""

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Category.choices, default=Category.OTHER)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MEDIUM)
    source = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    affected_channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices), required=False, default=list
    )
    confidential = serializers.BooleanField(default=False)
    is_exercise = serializers.BooleanField(default=False)
    detected_at = serializers.DateTimeField(
        required=False, help_text=_("When the crisis was first seen; defaults to now.")
    )
    lead = serializers.PrimaryKeyRelatedField(queryset=active_users(), required=False, allow_null=True)


# Fields that exist on an incident but change only through an action, with the action to use.
READ_ONLY_FIELD_HINTS = {
    "status": _("The status cannot be edited; POST to the incident's transition/ action."),
    "severity": _("The severity cannot be edited here; POST to the incident's severity/ action."),
    "lead": _("The lead cannot be edited here; POST to the incident's lead/ action."),
    "acknowledged_at": _("Clocks are set by the workflow; POST to acknowledge/ or transition/."),
}


class IncidentUpdateSerializer(StrictInputMixin, serializers.Serializer):
    """The editable description of an incident (PATCH). Everything else has its own action."""

    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    source = serializers.CharField(max_length=300, required=False, allow_blank=True)
    affected_channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices), required=False)
    confidential = serializers.BooleanField(required=False)

    def to_internal_value(self, data):
        # A client that sends ``status`` expects the status to change; ignoring it
        # silently would report success for a change that did not happen.
        if hasattr(data, "keys"):
            refused = {}
            for name in data:
                if name in self.fields:
                    continue
                refused[name] = [READ_ONLY_FIELD_HINTS.get(name, _("This field cannot be edited."))]
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)


class TransitionSerializer(StrictInputMixin, serializers.Serializer):
    """Move the incident to another status."""

    status = IncidentStatusField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SeveritySerializer(StrictInputMixin, serializers.Serializer):
    """Set the severity, with the reason."""

    severity = serializers.ChoiceField(choices=Severity.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class LeadSerializer(StrictInputMixin, serializers.Serializer):
    """Hand the incident to a new lead (a user id)."""

    lead = serializers.PrimaryKeyRelatedField(queryset=active_users())


class NoteSerializer(StrictInputMixin, serializers.Serializer):
    """A note, decision or escalation written on the timeline by hand."""

    body = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=[(kind.value, kind.label) for kind in MANUAL_TIMELINE_KINDS], default=TimelineKind.NOTE
    )


class FactInputSerializer(StrictInputMixin, serializers.Serializer):
    """A claim to register as unverified."""

    claim = serializers.CharField()
    source = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


# --- crisis team, timeline, facts, roles -------------------------------------------------


class IncidentRoleSerializer(serializers.ModelSerializer):
    """A role one can hold on a crisis team, with its responsibilities."""

    class Meta:
        model = IncidentRole
        fields = ["code", "name", "responsibilities", "position"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    """One person holding one incident role on one crisis team."""

    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    user = UserBriefSerializer(read_only=True)
    role = serializers.SlugRelatedField(slug_field="code", read_only=True)
    role_name = serializers.CharField(source="role.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "incident", "user", "role", "role_name", "added_by", "added_at"]
        read_only_fields = fields


class MembershipCreateSerializer(StrictInputMixin, serializers.Serializer):
    """Put a user on an incident's crisis team in a role."""

    incident = VisibleIncidentField()
    user = serializers.PrimaryKeyRelatedField(queryset=active_users())
    role = serializers.SlugRelatedField(slug_field="code", queryset=IncidentRole.objects.all())


class TimelineEntrySerializer(serializers.ModelSerializer):
    """One append-only line of an incident's log."""

    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    author = UserBriefSerializer(read_only=True, allow_null=True)
    body = serializers.SerializerMethodField(
        help_text="The text in the request's language (Accept-Language): a system entry is rendered from "
        "its event and params; a note, decision or escalation is as typed."
    )

    class Meta:
        model = TimelineEntry
        fields = ["id", "incident", "kind", "body", "event", "params", "author", "data", "created_at"]
        read_only_fields = fields

    def get_body(self, entry) -> str:
        return entry.text


class FactSerializer(serializers.ModelSerializer):
    """One claim in the facts register and its verification."""

    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    created_by = UserBriefSerializer(read_only=True, allow_null=True)
    verified_by = UserBriefSerializer(read_only=True, allow_null=True)
    status = FactStatusField(read_only=True)

    class Meta:
        model = Fact
        fields = [
            "id",
            "incident",
            "claim",
            "source",
            "status",
            "created_by",
            "created_at",
            "verified_by",
            "verified_at",
            "verification_note",
        ]
        read_only_fields = fields


class FactCreateSerializer(FactInputSerializer):
    """A claim to register on an incident named by its reference."""

    incident = VisibleIncidentField()


class FactVerifySerializer(StrictInputMixin, serializers.Serializer):
    """Confirm or refute a fact, saying why."""

    status = FactVerdictField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TokenSerializer(StrictInputMixin, serializers.Serializer):
    """The personal API token to send as ``Authorization: Token <token>``."""

    token = serializers.CharField(read_only=True)


class KeyMessageSuggestionQuerySerializer(StrictInputMixin, serializers.Serializer):
    """Query of the key-message suggestions: which kind to rank first, which language (default: the incident's)."""

    kind = serializers.ChoiceField(choices=(), required=False, help_text=_("Rank this kind first."))
    language = serializers.ChoiceField(
        choices=ContentLanguage.choices, required=False, help_text=_("Default: the language of the incident.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Key messages live in playbooks, above incidents: their kinds come through the hook.
        self.fields["kind"].choices = hooks.key_message_library().kind_choices()


class KeyMessageSuggestionSerializer(serializers.Serializer):
    """One usable key message ranked for an incident, best first, with the reason shown to people."""

    id = serializers.IntegerField(source="key_message.pk", read_only=True)
    title = serializers.CharField(source="key_message.title", read_only=True)
    kind = serializers.CharField(source="key_message.kind", read_only=True)
    language = serializers.CharField(source="key_message.language", read_only=True)
    category = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("Its playbook's scenario; null for a general key message.")
    )
    reason = serializers.CharField(read_only=True)
    rank = serializers.IntegerField(read_only=True, help_text=_("1 is the best fit."))
    fits = serializers.BooleanField(
        read_only=True, help_text=_("May pre-fill a holding statement: same language, same or no category.")
    )
