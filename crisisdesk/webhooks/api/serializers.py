"""API representations of webhook subscriptions and deliveries; input serializers only check shapes.

The signing secret is in no read representation: it comes back once in the answer
to a create or a rotation, and on demand from ``GET …/secret/``.
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crisisdesk.api.serializers import StrictInputMixin
from crisisdesk.webhooks import events
from crisisdesk.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, OutboxEvent, Subscription


class SubscriptionSerializer(serializers.ModelSerializer):
    """A subscription without its secret."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "name",
            "url",
            "event_types",
            "is_active",
            "include_confidential",
            "include_internal_drafts",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SubscriptionSecretSerializer(SubscriptionSerializer):
    """A subscription with its signing secret: answers a create, a rotation or ``GET …/secret/``."""

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


INTERNAL_DRAFTS_HELP = _(
    "Send unpublished statements' words, withdrawal reasons and comments too (internal systems; superusers only)."
)
EVENT_TYPES_HELP = _("Event types from the registry (crisisdesk/webhooks/events.py), e.g. incident.opened.")


def validate_event_types(value: list[str]) -> list[str]:
    # Checked against the registry at request time: event types may be registered after import.
    unknown = [code for code in value if not events.is_registered(code)]
    if unknown:
        raise serializers.ValidationError(gettext("Unknown event type(s): %s") % ", ".join(unknown))
    return value


class SubscriptionCreateSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)
    url = serializers.URLField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64),
        allow_empty=False,
        validators=[validate_event_types],
        help_text=EVENT_TYPES_HELP,
    )
    is_active = serializers.BooleanField(default=True)
    include_confidential = serializers.BooleanField(default=False)
    include_internal_drafts = serializers.BooleanField(default=False, help_text=INTERNAL_DRAFTS_HELP)


class SubscriptionUpdateSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    url = serializers.URLField(max_length=500, required=False)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64),
        allow_empty=False,
        required=False,
        validators=[validate_event_types],
        help_text=EVENT_TYPES_HELP,
    )
    is_active = serializers.BooleanField(required=False)
    include_confidential = serializers.BooleanField(required=False)
    include_internal_drafts = serializers.BooleanField(required=False, help_text=INTERNAL_DRAFTS_HELP)


class EventSerializer(serializers.ModelSerializer):
    """An outbox event as receivers get it, plus the incident reference."""

    type = serializers.CharField(source="event_type", read_only=True)
    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)

    class Meta:
        model = OutboxEvent
        fields = ["id", "type", "created_at", "incident", "payload"]
        read_only_fields = fields


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "error", "succeeded"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    """Where one event stands with one subscription."""

    event_id = serializers.UUIDField(read_only=True)
    event_type = serializers.CharField(source="event.event_type", read_only=True)
    incident = serializers.SlugRelatedField(source="event.incident", slug_field="reference", read_only=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "incident",
            "subscription",
            "status",
            "attempts",
            "failures",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class DeliveryDetailSerializer(DeliverySerializer):
    """A delivery with its event and every attempt.

    The event's ``payload`` is the one this delivery's subscription receives (redacted unless
    it is flagged ``include_internal_drafts``): the log shows what went out, nothing more.
    """

    event = EventSerializer(read_only=True)
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "event", "attempt_log"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["event"]["payload"] = instance.event.payload_for(instance.subscription)
        return data
