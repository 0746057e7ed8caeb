"""API representations of key messages; writes go to ``playbooks.services`` and ``crisisdesk.review.services``."""

from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crisisdesk.api.serializers import StrictInputMixin, UserBriefSerializer, enum_field
from crisisdesk.review.api import ReviewableDetailMixin, ReviewStatusField, RevisionBriefSerializer
from crisisdesk.review.models import BodyFormat, ContentLanguage
from playbooks.keymessages.models import KeyMessage, KeyMessageKind

# Timeline entries have a "kind" too: name this enum once so the schema has no generated names.
KeyMessageKindField = enum_field(
    "KeyMessageKindField", KeyMessageKind.choices, component="KeyMessageKind", doc="What a key message is for."
)


class KeyMessageSerializer(serializers.ModelSerializer):
    """A key message as lists show it."""

    url = serializers.HyperlinkedIdentityField(view_name="api:keymessage-detail")
    kind = KeyMessageKindField(read_only=True)
    status = ReviewStatusField(read_only=True)
    current_revision = RevisionBriefSerializer(read_only=True, allow_null=True)
    created_by = UserBriefSerializer(read_only=True)
    usable = serializers.SerializerMethodField(help_text=_("Approved and unexpired: statements may start from it."))

    class Meta:
        model = KeyMessage
        fields = [
            "id",
            "url",
            "kind",
            "topic",
            "title",
            "language",
            "body_format",
            "valid_until",
            "review_due",
            "status",
            "usable",
            "current_revision",
            "created_by",
            "created_at",
            "updated_at",
            "withdrawn_at",
        ]
        read_only_fields = fields

    def get_usable(self, key_message) -> bool:
        return key_message.is_usable()


class KeyMessageDetailSerializer(ReviewableDetailMixin, KeyMessageSerializer):
    """One key message: its text, safe HTML, approvals and the actions you may take."""

    rendered_html = serializers.SerializerMethodField(
        help_text=_("Title and body as sanitised HTML: no script, event handler or javascript: URL survives.")
    )
    withdrawn_by = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta(KeyMessageSerializer.Meta):
        fields = [
            *KeyMessageSerializer.Meta.fields,
            "body",
            "rendered_html",
            "approvals",
            "missing_approvals",
            "available_actions",
            "withdrawn_by",
            "withdrawal_reason",
        ]
        read_only_fields = fields

    def get_rendered_html(self, key_message) -> str:
        return f"<h2>{escape(key_message.title)}</h2>\n{key_message.rendered_body()}"


class KeyMessageCreateSerializer(StrictInputMixin, serializers.Serializer):
    """Draft a key message; it needs Legal's approval before statements can reuse it."""

    kind = KeyMessageKindField(default=KeyMessageKind.HOLDING_STATEMENT)
    topic = serializers.CharField(max_length=200)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    language = serializers.ChoiceField(choices=ContentLanguage.choices, default=ContentLanguage.EN)
    body_format = serializers.ChoiceField(choices=BodyFormat.choices, default=BodyFormat.PLAIN)
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)
    review_due = serializers.DateField(required=False, allow_null=True, default=None)


KEY_MESSAGE_FIELD_HINTS = {
    "status": _(
        "The status cannot be edited; POST to the key message's submit/, approve/, request-changes/, "
        "reject/ or withdraw/ action."
    ),
}


class KeyMessageUpdateSerializer(StrictInputMixin, serializers.Serializer):
    """Edit a key message (PATCH): a new revision, back to draft, and statements stop inheriting its approval."""

    kind = KeyMessageKindField(required=False)
    topic = serializers.CharField(max_length=200, required=False)
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(required=False)
    language = serializers.ChoiceField(choices=ContentLanguage.choices, required=False)
    body_format = serializers.ChoiceField(choices=BodyFormat.choices, required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)
    review_due = serializers.DateField(required=False, allow_null=True)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Why it changed (kept in the audit trail).")
    )

    def to_internal_value(self, data):
        # Sending ``status`` means expecting a status change: refuse it rather than ignore it.
        if hasattr(data, "keys"):
            refused = {
                name: [KEY_MESSAGE_FIELD_HINTS.get(name, _("This field cannot be edited."))]
                for name in data
                if name not in self.fields
            }
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)
