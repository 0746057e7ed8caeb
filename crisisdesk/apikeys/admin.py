"""Oversight of integration keys: list, last use, revoke (the raw key is only ever shown at creation)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import APIKey


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    """Keys are created at /api-keys/ or with ``manage.py create_api_key`` (each shows the key once); revoked here too.

    Team leads with staff status see the keys they may manage (theirs), as on /api-keys/.
    """

    list_display = ("name", "prefix", "user", "scopes", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = ("name", "prefix", "scopes", "user", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).manageable_by(request.user)

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            services.apikey_revoke(actor=request.user, key=key)
        self.message_user(request, _("Keys revoked."), messages.SUCCESS)
