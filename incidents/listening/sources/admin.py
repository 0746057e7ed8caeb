"""Sources in the Django admin: every change through ``source_save``; credentials write-only; Fetch now action."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from crisisdesk.admin import ServiceAdminMixin, ServiceForm
from incidents.listening.sources import polling, services
from incidents.listening.sources.forms import CredentialFieldsMixin
from incidents.listening.sources.models import Source

HEALTH_FIELDS = (
    "credential_names",
    "cursor",
    "last_polled_at",
    "last_success_at",
    "last_error",
    "last_error_at",
    "failing_since",
    "consecutive_failures",
    "backoff_until",
    "created_by",
    "created_at",
)


class SourceAdminForm(CredentialFieldsMixin, ServiceForm):
    class Meta:
        model = Source
        fields = [
            "name",
            "kind",
            "config",
            "watch_terms",
            "enabled",
            "poll_interval_seconds",
            "max_requests_per_minute",
        ]

    def apply(self, cleaned_data):
        data = {name: cleaned_data[name] for name in services.SOURCE_FIELDS if name in cleaned_data}
        existing = self.instance if self.instance.pk else None
        if existing is not None:
            data.pop("kind", None)
        return services.source_save(
            actor=self.actor,
            source=existing,
            data=data,
            credentials=self.credentials(),
            watch_terms=cleaned_data.get("watch_terms"),
        )


@admin.register(Source)
class SourceAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Sources with their health; created and changed by ``source_save``, never deleted (pause instead)."""

    form = SourceAdminForm
    list_display = [
        "name",
        "kind",
        "enabled",
        "last_success_at",
        "last_error_at",
        "consecutive_failures",
        "backoff_until",
    ]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]
    readonly_fields = HEALTH_FIELDS
    filter_horizontal = ["watch_terms"]
    actions = ["fetch_now"]

    def get_fields(self, request, obj=None):
        fields = [*SourceAdminForm.Meta.fields, "credential_name", "credential_value"]
        return fields + list(HEALTH_FIELDS) if obj else fields

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Fetch now"), permissions=["change"])
    def fetch_now(self, request, queryset):
        for source in queryset:
            polling.source_poll(source=source, force=True)
        self.message_user(request, _("Fetched."), messages.SUCCESS)
