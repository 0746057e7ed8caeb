"""API serializers of incident tasks (the checklist)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from crisisdesk.api.serializers import StrictInputMixin, UserBriefSerializer, enum_field
from incidents.checklist.models import IncidentTask, TaskStatus

TaskStatusField = enum_field(
    "TaskStatusField", TaskStatus.choices, component="TaskStatus", doc="An incident task's status."
)


class TaskSerializer(serializers.ModelSerializer):
    """One checklist item of an incident: what, who, by when, and whether it is done."""

    url = serializers.HyperlinkedIdentityField(view_name="api:incidenttask-detail")
    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    role = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    assignee = UserBriefSerializer(read_only=True, allow_null=True)
    completed_by = UserBriefSerializer(read_only=True, allow_null=True)
    status = TaskStatusField(read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = IncidentTask
        fields = [
            "id",
            "url",
            "incident",
            "position",
            "title",
            "instructions",
            "role",
            "assignee",
            "due_at",
            "status",
            "overdue",
            "completed_at",
            "completed_by",
            "note",
        ]
        read_only_fields = fields

    def get_overdue(self, task) -> bool:
        return task.is_overdue()


class TaskCompleteSerializer(StrictInputMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TaskSkipSerializer(StrictInputMixin, serializers.Serializer):
    reason = serializers.CharField()


class TaskAssignSerializer(StrictInputMixin, serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), allow_null=True
    )
