"""The audit trail in the admin: a read-only list. The user admin names who changes someone's roles."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import AuditRecord
from .services import acting_as


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "target_repr", "from_state", "to_state")
    list_filter = ("action", "target_type")
    search_fields = ("target_repr", "comment", "actor__username", "action")
    date_hierarchy = "at"
    list_select_related = ("actor", "target_type")
    readonly_fields = [field.name for field in AuditRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


User = get_user_model()


class AuditedUserAdmin(UserAdmin):
    """Django's user admin; group (role) changes it saves are audited with the admin user as the actor."""

    def save_related(self, request, form, formsets, change):
        with acting_as(request.user):
            super().save_related(request, form, formsets, change)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
