"""API representation of response targets and of an incident's response clocks."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crisisdesk.api.serializers import StrictInputMixin
from incidents.response.models import ResponseTarget

TARGET_FIELDS = ["acknowledge_minutes", "first_response_minutes", "update_interval_minutes", "update_window_minutes"]


class ResponseTargetSerializer(serializers.ModelSerializer):
    """How fast the team must react to an incident of one severity (minutes)."""

    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ResponseTarget
        fields = ["severity", *TARGET_FIELDS, "updated_by", "updated_at"]
        read_only_fields = fields


class ResponseTargetUpdateSerializer(StrictInputMixin, serializers.Serializer):
    """Change some of one severity's targets (PATCH): fields not sent keep their value; null ends the cadence."""

    acknowledge_minutes = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    first_response_minutes = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    update_interval_minutes = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True
    )
    update_window_minutes = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True)


class ResponseClockSerializer(serializers.Serializer):
    """One response timer: when it started, when it is due, whether it was met (and late), its stage now."""

    code = serializers.CharField(help_text=_("acknowledge, first_response or update."))
    label = serializers.CharField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    target_minutes = serializers.SerializerMethodField()
    met_at = serializers.DateTimeField(allow_null=True)
    met = serializers.BooleanField()
    met_late = serializers.BooleanField()
    stage = serializers.CharField(allow_null=True, help_text=_("due_soon, overdue, or null (running in time, or met)."))
    due_soon = serializers.BooleanField()
    overdue = serializers.BooleanField()
    remaining_seconds = serializers.SerializerMethodField(
        help_text=_("Seconds left before the target; negative once it passed.")
    )

    def get_target_minutes(self, clock) -> int:
        return int(clock.target.total_seconds() // 60)

    def get_remaining_seconds(self, clock) -> int:
        return int(clock.remaining.total_seconds())


class ResponseBoardSerializer(serializers.Serializer):
    """The response clocks of one incident, against its severity's targets (none once it is no longer active)."""

    incident = serializers.CharField(source="incident.reference")
    severity = serializers.IntegerField(source="incident.severity")
    target = ResponseTargetSerializer(source="board.target", allow_null=True)
    clocks = ResponseClockSerializer(source="board.clocks", many=True)
    due_soon = serializers.BooleanField(source="board.due_soon")
    overdue = serializers.BooleanField(source="board.overdue")
