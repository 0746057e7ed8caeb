"""Read representation of mentions and the small input serializers of triage actions.

Ingest payloads are not validated here: ``mention_services.parse_mention`` does it, for the
API, CSV import and feeds alike, and fast enough for 1,000-item batches.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crisisdesk.api.serializers import enum_field
from incidents.models import Mention, MentionStatus


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


class MentionInputSerializer(serializers.Serializer):
    """Documents one ingested mention (validation is ``parse_mention``'s)."""

    platform = serializers.CharField(max_length=32)
    external_id = serializers.CharField(max_length=200)
    text = serializers.CharField()
    posted_at = serializers.DateTimeField()
    url = serializers.URLField(required=False)
    author = serializers.CharField(required=False)
    audience = serializers.IntegerField(required=False, min_value=0)
    language = serializers.CharField(required=False, max_length=8)
    sentiment = serializers.FloatField(
        required=False, min_value=-1, max_value=1, help_text=_("The monitoring tool's own score wins when given.")
    )


class BulkInputSerializer(serializers.Serializer):
    mentions = MentionInputSerializer(many=True)


MentionStatusField = enum_field(
    "MentionStatusField", MentionStatus.choices, component="MentionStatus", doc="A mention's triage status."
)


class TriageInputSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), max_length=1000)
    status = MentionStatusField(required=False)
    incident = serializers.CharField(required=False, help_text=_("Reference of an active incident to link."))
