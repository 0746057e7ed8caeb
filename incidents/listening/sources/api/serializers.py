"""Sources in the API: health read-only, credentials write-only (their names are shown, never values)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crisisdesk.api.fields import VisiblePrimaryKeyRelatedField
from crisisdesk.api.serializers import StrictInputMixin
from incidents.listening.models import WatchTerm
from incidents.listening.sources.models import Source, SourceKind


class SourceSerializer(serializers.ModelSerializer):
    """A source with its health; ``credentials_set`` names the stored credentials (values are write-only)."""

    credentials_set = serializers.ListField(source="credential_names", child=serializers.CharField(), read_only=True)
    fetched_last_hour = serializers.SerializerMethodField()
    fetched_last_day = serializers.SerializerMethodField()
    inbound_url = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "kind",
            "config",
            "credentials_set",
            "watch_terms",
            "enabled",
            "poll_interval_seconds",
            "max_requests_per_minute",
            "cursor",
            "last_polled_at",
            "last_success_at",
            "last_error",
            "last_error_at",
            "failing_since",
            "consecutive_failures",
            "backoff_until",
            "fetched_last_hour",
            "fetched_last_day",
            "inbound_url",
            "created_at",
        ]
        read_only_fields = fields

    def get_fetched_last_hour(self, source) -> int:
        return source.fetched_last_hour()

    def get_fetched_last_day(self, source) -> int:
        return source.fetched_last_day()

    def get_inbound_url(self, source) -> str | None:
        if source.kind != SourceKind.INBOUND_WEBHOOK:
            return None
        request = self.context.get("request")
        path = f"/api/v1/sources/{source.pk}/inbound/"
        return request.build_absolute_uri(path) if request else path


class SourceInputSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    config = serializers.JSONField(required=False, default=dict)
    credentials = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=4000, trim_whitespace=False),
        required=False,
        write_only=True,
        help_text=_("Write-only: name → value, or env:NAME to read it from the environment."),
    )
    watch_terms = VisiblePrimaryKeyRelatedField(queryset=WatchTerm.objects.all(), many=True, required=False)
    enabled = serializers.BooleanField(required=False, default=True)
    poll_interval_seconds = serializers.IntegerField(min_value=10, required=False, default=300)
    max_requests_per_minute = serializers.IntegerField(min_value=1, max_value=10000, required=False, default=30)

    def validate_config(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Expected an object."))
        return value


class SourceUpdateSerializer(SourceInputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    kind = serializers.ChoiceField(choices=SourceKind.choices, required=False)
    config = serializers.JSONField(required=False)
    enabled = serializers.BooleanField(required=False)
    poll_interval_seconds = serializers.IntegerField(min_value=10, required=False)
    max_requests_per_minute = serializers.IntegerField(min_value=1, max_value=10000, required=False)
