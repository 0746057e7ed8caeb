"""API representations of statements and their live URLs.

Read serializers describe; input serializers only check the shape of a request.
Statements are written by ``incidents.statements.services`` and moved through the
review workflow by ``crisisdesk.review.services``.
"""

from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crisisdesk.api.fields import VisiblePrimaryKeyRelatedField
from crisisdesk.api.serializers import StrictInputMixin, UserBriefSerializer, enum_field
from crisisdesk.review.api import (
    ReviewableDetailMixin,
    ReviewStatusField,
    RevisionBriefSerializer,
)
from crisisdesk.review.models import BodyFormat, ContentLanguage
from incidents import hooks
from incidents.api.serializers import VisibleIncidentField
from incidents.models import Channel, Fact, Incident
from incidents.statements.models import Statement, StatementPublication

# Incidents name the same choices "affected channels"; one named component keeps the schema free of duplicates.
ChannelField = enum_field(
    "ChannelField", Channel.choices, component="Channel", doc="A channel a statement is written for."
)


class ChannelTextSerializer(StrictInputMixin, serializers.Serializer):
    """The copy-ready text for one channel, with its length and the platform's limit."""

    channel = ChannelField()
    label = serializers.CharField()
    text = serializers.CharField()
    length = serializers.IntegerField()
    limit = serializers.IntegerField(allow_null=True)
    over_limit = serializers.BooleanField()


class CitedFactSerializer(serializers.ModelSerializer):
    """A fact a statement rests on, with its verification status."""

    class Meta:
        model = Fact
        fields = ["id", "claim", "status"]
        read_only_fields = fields


class StatementPublicationSerializer(serializers.ModelSerializer):
    """Where a published statement went live on one channel."""

    channel = ChannelField(read_only=True)
    recorded_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = StatementPublication
        fields = ["id", "channel", "url", "recorded_by", "recorded_at"]
        read_only_fields = fields


class StatementSerializer(serializers.ModelSerializer):
    """A statement as lists show it."""

    url = serializers.HyperlinkedIdentityField(view_name="api:statement-detail")
    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    channels = serializers.ListField(child=ChannelField(), read_only=True)
    status = ReviewStatusField(read_only=True)
    current_revision = RevisionBriefSerializer(read_only=True, allow_null=True)
    created_by = UserBriefSerializer(read_only=True)
    cites_refuted_fact = serializers.BooleanField(
        read_only=True,
        help_text="Published, but one of its cited facts has been refuted since: correct or withdraw it.",
    )

    class Meta:
        model = Statement
        fields = [
            "id",
            "url",
            "incident",
            "title",
            "channels",
            "language",
            "audience",
            "public_context",
            "body_format",
            "status",
            "cites_refuted_fact",
            "current_revision",
            "from_key_message",
            "created_by",
            "created_at",
            "updated_at",
            "published_at",
            "withdrawn_at",
        ]
        read_only_fields = fields


class StatementDetailSerializer(ReviewableDetailMixin, StatementSerializer):
    """One statement: its text, safe HTML, per-channel copy, approvals and the actions you may take."""

    rendered_html = serializers.SerializerMethodField(
        help_text=_("Title and body as sanitised HTML: no script, event handler or javascript: URL survives.")
    )
    channel_texts = serializers.SerializerMethodField()
    facts = CitedFactSerializer(many=True, read_only=True)
    published_revision = RevisionBriefSerializer(read_only=True, allow_null=True)
    published_by = UserBriefSerializer(read_only=True, allow_null=True)
    withdrawn_by = UserBriefSerializer(read_only=True, allow_null=True)
    publications = StatementPublicationSerializer(many=True, read_only=True)

    class Meta(StatementSerializer.Meta):
        fields = [
            *StatementSerializer.Meta.fields,
            "body",
            "rendered_html",
            "channel_texts",
            "facts",
            "approvals",
            "missing_approvals",
            "available_actions",
            "published_revision",
            "published_by",
            "withdrawn_by",
            "withdrawal_reason",
            "publications",
        ]
        read_only_fields = fields

    def get_rendered_html(self, statement) -> str:
        # The title is text, never markup: escaped, whatever it contains.
        return f"<h2>{escape(statement.title)}</h2>\n{statement.rendered_body()}"

    @extend_schema_field(ChannelTextSerializer(many=True))
    def get_channel_texts(self, statement):
        return ChannelTextSerializer(statement.channel_texts(), many=True).data


class VisibleFactsField(VisiblePrimaryKeyRelatedField):
    """Facts of the incidents the requesting user may see (the service checks they belong to the statement's)."""

    def visible_queryset(self, user):
        return Fact.objects.filter(incident__in=Incident.objects.visible_to(user))


@extend_schema_field(OpenApiTypes.INT)
class VisibleKeyMessageField(VisiblePrimaryKeyRelatedField):
    """A key message the requesting user may read, by id; whether it may be used is the service's rule (400)."""

    def visible_queryset(self, user):
        return hooks.key_message_library().visible(user)


PUBLIC_CONTEXT_HELP = _(
    "Optional line the newsroom shows as “About: …”; part of the reviewed revision (never the incident's title)."
)


class StatementCreateSerializer(StrictInputMixin, serializers.Serializer):
    """Draft a statement from scratch, or from an approved key message whose words it copies."""

    incident = VisibleIncidentField()
    from_key_message = VisibleKeyMessageField(
        required=False,
        allow_null=True,
        help_text=_("Start from this approved key message; reused verbatim, it is pre-approved."),
    )
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(required=False)
    channels = serializers.ListField(child=ChannelField(), allow_empty=False)
    language = serializers.ChoiceField(choices=ContentLanguage.choices, required=False)
    audience = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    public_context = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text=PUBLIC_CONTEXT_HELP
    )
    body_format = serializers.ChoiceField(choices=BodyFormat.choices, required=False)
    facts = serializers.ListField(child=VisibleFactsField(queryset=Fact.objects.all()), required=False, default=list)

    def validate(self, attrs):
        if attrs.get("from_key_message") is None:
            missing = {name: [_("This field is required.")] for name in ("title", "body") if not attrs.get(name)}
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


STATEMENT_FIELD_HINTS = {
    "status": _(
        "The status cannot be edited; POST to the statement's submit/, approve/, request-changes/, "
        "reject/, publish/ or withdraw/ action."
    ),
    "incident": _("A statement stays with its incident; draft a new one for another incident."),
    "from_key_message": _("The key message a statement started from cannot be changed."),
}


class StatementUpdateSerializer(StrictInputMixin, serializers.Serializer):
    """Edit the words, channels or cited facts (PATCH): a new revision, and any approval is void."""

    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(required=False)
    channels = serializers.ListField(child=ChannelField(), required=False)
    language = serializers.ChoiceField(choices=ContentLanguage.choices, required=False)
    audience = serializers.CharField(max_length=200, required=False, allow_blank=True)
    public_context = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text=PUBLIC_CONTEXT_HELP
    )
    body_format = serializers.ChoiceField(choices=BodyFormat.choices, required=False)
    facts = serializers.ListField(child=VisibleFactsField(queryset=Fact.objects.all()), required=False)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Why it changed (kept in the audit trail).")
    )

    def to_internal_value(self, data):
        # A client sending ``status`` expects a status change; ignoring it silently
        # would report success for something that did not happen.
        if hasattr(data, "keys"):
            refused = {
                name: [STATEMENT_FIELD_HINTS.get(name, _("This field cannot be edited."))]
                for name in data
                if name not in self.fields
            }
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)


class PublishSerializer(StrictInputMixin, serializers.Serializer):
    """Publish the approved current revision."""

    revision = serializers.IntegerField(
        min_value=1, required=False, help_text=_("The revision number you mean to publish; refused if stale.")
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class RecordUrlSerializer(StrictInputMixin, serializers.Serializer):
    """Where the statement went live on one of its channels."""

    channel = ChannelField()
    url = serializers.URLField(max_length=500)
