"""Serializers of the post-crisis review API: read representations and small input serializers."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from crisisdesk.api.fields import VisiblePrimaryKeyRelatedField
from crisisdesk.api.serializers import StrictInputMixin, UserBriefSerializer, enum_field
from crisisdesk.review.api import ReviewableDetailMixin, ReviewStatusField, RevisionBriefSerializer
from playbooks.models import Playbook
from postmortems import services
from postmortems.export import review_document
from postmortems.models import SECTION_FIELDS, ActionItem, ActionItemStatus, PostmortemReview, Priority, Sentiment

ActionItemStatusField = enum_field(
    "ActionItemStatusField", ActionItemStatus.choices, component="ActionItemStatus", doc="An action item's status."
)


class ActionItemSerializer(serializers.ModelSerializer):
    """An action item: owner, due date, status, priority, the playbook it must change."""

    owner = UserBriefSerializer(read_only=True)
    review = serializers.PrimaryKeyRelatedField(read_only=True)
    incident = serializers.CharField(source="review.incident.reference", read_only=True)
    status = ActionItemStatusField(read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "review",
            "incident",
            "title",
            "description",
            "owner",
            "due_date",
            "status",
            "priority",
            "playbook",
            "overdue",
            "closed_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_overdue(self, item) -> bool:
        return item.is_overdue()


class PostmortemSerializer(serializers.ModelSerializer):
    """A review in a list: what it is about and where it stands."""

    status = ReviewStatusField(read_only=True)
    incident = serializers.CharField(source="incident.reference", read_only=True)
    created_by = UserBriefSerializer(read_only=True)
    current_revision = RevisionBriefSerializer(read_only=True)

    class Meta:
        model = PostmortemReview
        fields = ["id", "incident", "title", "status", "created_by", "current_revision", "published_at", "updated_at"]
        read_only_fields = fields


class SectionsSerializer(serializers.ModelSerializer):
    """The written part of a review: impact and the narrative sections."""

    class Meta:
        model = PostmortemReview
        fields = [
            "title",
            "first_seen_at",
            *SECTION_FIELDS,
            "impact_reach",
            "impact_peak_mentions",
            "impact_sentiment",
            "impact_press",
        ]
        read_only_fields = fields


class PostmortemDetailSerializer(ReviewableDetailMixin, PostmortemSerializer):
    """One review: sections, metrics, timeline, statements, action items, approvals and the actions you may take."""

    sections = serializers.SerializerMethodField()
    metrics = serializers.SerializerMethodField()
    wording_warnings = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    statements = serializers.SerializerMethodField()
    action_items = serializers.SerializerMethodField()
    all_action_items_closed = serializers.SerializerMethodField()

    class Meta(PostmortemSerializer.Meta):
        fields = [
            *PostmortemSerializer.Meta.fields,
            "sections",
            "metrics",
            "wording_warnings",
            "timeline",
            "statements",
            "action_items",
            "all_action_items_closed",
            "approvals",
            "missing_approvals",
            "available_actions",
        ]
        read_only_fields = fields

    def _document(self, item) -> dict:
        cache = self.context.setdefault("_documents", {})
        if item.pk not in cache:
            cache[item.pk] = review_document(item)
        return cache[item.pk]

    def get_sections(self, item) -> dict:
        return SectionsSerializer(item).data

    def get_metrics(self, item) -> dict:
        from postmortems.metrics import incident_metrics

        values = incident_metrics(item.incident, first_seen_at=item.first_seen_at)
        return {name: (value.total_seconds() if value is not None else None) for name, value in values.items()}

    def get_wording_warnings(self, item) -> dict:
        return services.wording_warnings(item)

    def get_timeline(self, item) -> list[dict]:
        return [
            {
                "at": entry.created_at,
                "kind": entry.kind,
                "body": entry.text,
                "event": entry.event,
                "params": entry.params,
            }
            for entry in self._document(item)["timeline"]
        ]

    def get_statements(self, item) -> list[dict]:
        return [
            {"id": s.pk, "title": s.title, "status": s.status, "published_at": s.published_at}
            for s in self._document(item)["statements"]
        ]

    def get_action_items(self, item) -> list[dict]:
        return ActionItemSerializer(self._document(item)["action_items"], many=True, context=self.context).data

    def get_all_action_items_closed(self, item) -> dict | None:
        return self._document(item)["all_closed"]


class SectionsUpdateSerializer(StrictInputMixin, serializers.Serializer):
    """Edit sections (a new revision; an approval given earlier stops counting). Omitted fields are unchanged."""

    title = serializers.CharField(required=False, max_length=200)
    first_seen_at = serializers.DateTimeField(required=False, allow_null=True)
    summary = serializers.CharField(required=False, allow_blank=True)
    went_well = serializers.CharField(required=False, allow_blank=True)
    went_badly = serializers.CharField(required=False, allow_blank=True)
    root_causes = serializers.CharField(required=False, allow_blank=True)
    lessons = serializers.CharField(required=False, allow_blank=True)
    impact_reach = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    impact_peak_mentions = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    impact_sentiment = serializers.ChoiceField(required=False, choices=Sentiment.choices, allow_blank=True)
    impact_press = serializers.CharField(required=False, allow_blank=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class PostmortemPublishSerializer(StrictInputMixin, serializers.Serializer):
    """Publish the approved review; ``revision`` (optional) is the one you saw, refused if stale."""

    revision = serializers.IntegerField(min_value=1, required=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ActionItemCreateSerializer(StrictInputMixin, serializers.Serializer):
    review = VisiblePrimaryKeyRelatedField(queryset=PostmortemReview.objects.all())
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    owner = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True))
    due_date = serializers.DateField()
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.MEDIUM)
    playbook = VisiblePrimaryKeyRelatedField(queryset=Playbook.objects.all(), required=False, allow_null=True)


class ActionItemUpdateSerializer(StrictInputMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True), required=False)
    due_date = serializers.DateField(required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    playbook = VisiblePrimaryKeyRelatedField(queryset=Playbook.objects.all(), required=False, allow_null=True)


class ActionItemStatusSerializer(StrictInputMixin, serializers.Serializer):
    """Move an action item to another status."""

    status = ActionItemStatusField()
