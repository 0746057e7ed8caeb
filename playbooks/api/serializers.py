"""API representations of playbooks, versions and steps, incident tasks, the roster and exercises.

Read serializers only read; writes are validated by the small input serializers at
the end and done by ``playbooks.services``, ``playbooks.roster.services`` and
``incidents.checklist.services``.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crisisdesk.api.fields import VisiblePrimaryKeyRelatedField
from crisisdesk.api.serializers import StrictInputMixin, UserBriefSerializer, enum_field
from crisisdesk.review.api import ReviewableDetailMixin, ReviewStatusField, RevisionBriefSerializer
from crisisdesk.review.models import ContentLanguage
from incidents.api.serializers import VisibleIncidentField
from incidents.models import Category, IncidentRole
from playbooks.keymessages.models import KeyMessage
from playbooks.models import Exercise, ExerciseStatus, Playbook, PlaybookStep, PlaybookVersion
from playbooks.roster.models import Person

ExerciseStatusField = enum_field(
    "ExerciseStatusField", ExerciseStatus.choices, component="ExerciseStatus", doc="An exercise's status."
)


ScenarioField = enum_field(
    "ScenarioField", Category.choices, component="PlaybookScenario", doc="Which kind of crisis a playbook is for."
)


# --- playbooks ---------------------------------------------------------------------------------------------


class PlaybookSerializer(serializers.ModelSerializer):
    """A playbook: its scenario, owner, review date and which version is active."""

    url = serializers.HyperlinkedIdentityField(view_name="api:playbook-detail")
    scenario = ScenarioField(read_only=True)
    owner = UserBriefSerializer(read_only=True)
    active_version = serializers.IntegerField(
        source="active_version.number", read_only=True, allow_null=True, help_text=_("Number of the active version.")
    )
    active_version_id = serializers.IntegerField(read_only=True, allow_null=True)
    stale = serializers.SerializerMethodField(help_text=_("Past its review-due date."))

    class Meta:
        model = Playbook
        fields = [
            "id",
            "url",
            "title",
            "scenario",
            "language",
            "owner",
            "review_due",
            "stale",
            "active_version",
            "active_version_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_stale(self, playbook) -> bool:
        return playbook.is_stale()


class StepSerializer(serializers.ModelSerializer):
    """One ordered step: what, which incident role, within how many minutes of activation."""

    role = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = PlaybookStep
        fields = ["position", "title", "instructions", "role", "within_minutes"]
        read_only_fields = fields


class PlaybookVersionSerializer(serializers.ModelSerializer):
    """A numbered version of a playbook's content, as lists show it."""

    url = serializers.HyperlinkedIdentityField(view_name="api:playbookversion-detail")
    playbook = serializers.PrimaryKeyRelatedField(read_only=True)
    status = ReviewStatusField(read_only=True)
    current_revision = RevisionBriefSerializer(read_only=True, allow_null=True)
    created_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = PlaybookVersion
        fields = [
            "id",
            "url",
            "playbook",
            "number",
            "status",
            "summary",
            "current_revision",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PlaybookVersionDetailSerializer(ReviewableDetailMixin, PlaybookVersionSerializer):
    """One version: trigger, severity guide, channels, contacts, steps, key messages, and its review."""

    steps = StepSerializer(many=True, read_only=True)
    key_messages = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(PlaybookVersionSerializer.Meta):
        fields = [
            *PlaybookVersionSerializer.Meta.fields,
            "trigger_criteria",
            "severity_guide",
            "channels",
            "escalation_contacts",
            "steps",
            "key_messages",
            "approvals",
            "missing_approvals",
            "available_actions",
        ]
        read_only_fields = fields


class StepInputSerializer(StrictInputMixin, serializers.Serializer):
    """One step of a version being written; the list's order is the steps' order."""

    title = serializers.CharField(max_length=200)
    instructions = serializers.CharField(required=False, allow_blank=True, default="")
    role = serializers.SlugRelatedField(
        slug_field="code", queryset=IncidentRole.objects.all(), required=False, allow_null=True, default=None
    )
    within_minutes = serializers.IntegerField(min_value=0, default=60)


class PlaybookCreateSerializer(StrictInputMixin, serializers.Serializer):
    """A new playbook and its first version (a draft a team lead must approve)."""

    title = serializers.CharField(max_length=200)
    scenario = ScenarioField(default="other")
    language = serializers.ChoiceField(choices=ContentLanguage.choices, default=ContentLanguage.EN)
    owner = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True), required=False)
    review_due = serializers.DateField(required=False, allow_null=True, default=None)
    trigger_criteria = serializers.CharField()
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    severity_guide = serializers.CharField(required=False, allow_blank=True, default="")
    channels = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    escalation_contacts = serializers.CharField(required=False, allow_blank=True, default="")
    key_messages = VisiblePrimaryKeyRelatedField(
        many=True, queryset=KeyMessage.objects.all(), required=False, default=list
    )
    steps = StepInputSerializer(many=True, required=False, default=list)


class PlaybookUpdateSerializer(StrictInputMixin, serializers.Serializer):
    """Change a playbook's title, owner or review-due date (PATCH); its content is versioned."""

    title = serializers.CharField(max_length=200, required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True), required=False)
    review_due = serializers.DateField(required=False, allow_null=True)


class VersionUpdateSerializer(StrictInputMixin, serializers.Serializer):
    """Edit a draft or in-review version (PATCH): a new revision, back to draft; ``steps`` replaces them all."""

    summary = serializers.CharField(required=False, allow_blank=True)
    trigger_criteria = serializers.CharField(required=False)
    severity_guide = serializers.CharField(required=False, allow_blank=True)
    channels = serializers.ListField(child=serializers.CharField(), required=False)
    escalation_contacts = serializers.CharField(required=False, allow_blank=True)
    key_messages = VisiblePrimaryKeyRelatedField(many=True, queryset=KeyMessage.objects.all(), required=False)
    steps = StepInputSerializer(many=True, required=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ActivateSerializer(StrictInputMixin, serializers.Serializer):
    """The incident (by reference) to activate the playbook on."""

    incident = VisibleIncidentField()


# --- tasks -------------------------------------------------------------------------------------------------


# --- roster ------------------------------------------------------------------------------------------------


# --- exercises ---------------------------------------------------------------------------------------------


class ExerciseSerializer(serializers.ModelSerializer):
    """A drill on a playbook: when, who took part, findings, follow-up, and the exercise incident once run."""

    url = serializers.HyperlinkedIdentityField(view_name="api:exercise-detail")
    playbook = serializers.PrimaryKeyRelatedField(read_only=True)
    status = ExerciseStatusField(read_only=True)
    participants = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    incident = serializers.SerializerMethodField(help_text=_("Reference of the exercise incident, once run."))
    created_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = Exercise
        fields = [
            "id",
            "url",
            "playbook",
            "title",
            "scheduled_for",
            "status",
            "participants",
            "findings",
            "follow_up_actions",
            "incident",
            "completed_at",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_incident(self, exercise) -> str | None:
        # ``incident_visible`` is annotated by the viewset: a confidential incident's reference stays hidden.
        if exercise.incident_id is None or not getattr(exercise, "incident_visible", False):
            return None
        return exercise.incident.reference


class ExerciseCreateSerializer(StrictInputMixin, serializers.Serializer):
    """Schedule a drill of a playbook."""

    playbook = VisiblePrimaryKeyRelatedField(queryset=Playbook.objects.all())
    title = serializers.CharField(max_length=200)
    scheduled_for = serializers.DateTimeField()
    participants = VisiblePrimaryKeyRelatedField(many=True, queryset=Person.objects.all(), required=False, default=list)


class ExerciseUpdateSerializer(StrictInputMixin, serializers.Serializer):
    """Record what a drill showed or move its date (PATCH); ``participants`` replaces the list."""

    title = serializers.CharField(max_length=200, required=False)
    scheduled_for = serializers.DateTimeField(required=False)
    findings = serializers.CharField(required=False, allow_blank=True)
    follow_up_actions = serializers.CharField(required=False, allow_blank=True)
    participants = VisiblePrimaryKeyRelatedField(many=True, queryset=Person.objects.all(), required=False)
