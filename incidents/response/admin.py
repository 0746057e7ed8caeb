"""Admin of response targets (edited through the service) and the reminders sent (read-only oversight)."""

from django.contrib import admin

from crisisdesk.admin import ServiceAdminMixin, ServiceForm
from incidents.response import services as response_service
from incidents.response.models import ResponseReminder, ResponseTarget

RESPONSE_TARGET_FIELDS = [
    "acknowledge_minutes",
    "first_response_minutes",
    "update_interval_minutes",
    "update_window_minutes",
]


class ResponseTargetAdminForm(ServiceForm):
    """Saves through ``response.response_target_update``."""

    class Meta:
        model = ResponseTarget
        fields = RESPONSE_TARGET_FIELDS

    def apply(self, cleaned_data):
        return response_service.response_target_update(
            actor=self.actor, target=self.instance, **{field: cleaned_data[field] for field in RESPONSE_TARGET_FIELDS}
        )


@admin.register(ResponseTarget)
class ResponseTargetAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Per-severity response targets (team leads also edit them at /response-targets/)."""

    form = ResponseTargetAdminForm
    list_display = ["severity", *RESPONSE_TARGET_FIELDS, "updated_by", "updated_at"]
    readonly_fields = ["severity", "updated_by", "updated_at"]

    def has_add_permission(self, request):
        return False  # one row per severity, created by migration 0006

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ResponseReminder)
class ResponseReminderAdmin(admin.ModelAdmin):
    """Reminders sent: read-only oversight."""

    list_display = ["sent_at", "incident", "clock", "stage", "due_at"]
    list_filter = ["clock", "stage"]
    readonly_fields = [field.name for field in ResponseReminder._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
