"""API representations of chat destinations and deliveries; input serializers only check shapes.

The Apprise URL is write-only: no representation carries it, only ``url_masked``
(scheme and host) and ``url_is_reference``.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crisisdesk.api.serializers import StrictInputMixin
from crisisdesk.chat.models import SEVERITY_CHOICES, ChatAttempt, ChatDelivery, Destination
from crisisdesk.webhooks.api.serializers import EVENT_TYPES_HELP, validate_event_types
from crisisdesk.webhooks.models import DeliveryStatus

URL_HELP = _(
    "Write-only. An Apprise URL (mmost://host/token, msteams://…, slack://…, mailto://…, json://…) "
    "or env:NAME to read it from the server's environment at send time."
)
SEVERITY_HELP = _("1 = critical incidents only … 4 = every severity. Events without an incident are always sent.")


class DestinationSerializer(serializers.ModelSerializer):
    """A destination without its URL (masked: scheme and host only)."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    url_is_reference = serializers.BooleanField(source="is_reference", read_only=True)

    class Meta:
        model = Destination
        fields = [
            "id",
            "name",
            "url_masked",
            "url_is_reference",
            "event_types",
            "min_severity",
            "is_active",
            "include_confidential",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DestinationCreateSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)
    url = serializers.CharField(max_length=2000, write_only=True, help_text=URL_HELP)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64),
        allow_empty=False,
        validators=[validate_event_types],
        help_text=EVENT_TYPES_HELP,
    )
    min_severity = serializers.ChoiceField(choices=SEVERITY_CHOICES, default=4, help_text=SEVERITY_HELP)
    is_active = serializers.BooleanField(default=True)
    include_confidential = serializers.BooleanField(default=False)


class DestinationUpdateSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    url = serializers.CharField(max_length=2000, write_only=True, required=False, help_text=URL_HELP)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64),
        allow_empty=False,
        required=False,
        validators=[validate_event_types],
        help_text=EVENT_TYPES_HELP,
    )
    min_severity = serializers.ChoiceField(choices=SEVERITY_CHOICES, required=False, help_text=SEVERITY_HELP)
    is_active = serializers.BooleanField(required=False)
    include_confidential = serializers.BooleanField(required=False)


class ChatAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChatAttempt
        fields = ["number", "started_at", "duration_ms", "error", "succeeded"]
        read_only_fields = fields


class ChatDeliverySerializer(serializers.ModelSerializer):
    """Where one message stands with one destination."""

    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)

    class Meta:
        model = ChatDelivery
        fields = [
            "id",
            "destination",
            "event_type",
            "event",
            "incident",
            "title",
            "body",
            "status",
            "attempts",
            "failures",
            "next_attempt_at",
            "last_attempt_at",
            "last_error",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class ChatDeliveryDetailSerializer(ChatDeliverySerializer):
    attempt_log = ChatAttemptSerializer(many=True, read_only=True)

    class Meta(ChatDeliverySerializer.Meta):
        fields = [*ChatDeliverySerializer.Meta.fields, "attempt_log"]
        read_only_fields = fields
