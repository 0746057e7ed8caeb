"""Oversight of integration keys: list, last use, revoke (the raw key is only ever shown at creation)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from crisisdesk.review.admin import step_up_redirect
from crisisdesk.twofactor.stepup import StepUpRequired

from . import grants, services
from .models import APIKey, ApprovalGrant


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    """Keys are created at /api-keys/ or with ``manage.py create_api_key`` (each shows the key once); revoked here too.

    Team leads with staff status see the keys they may manage (theirs), as on /api-keys/.
    """

    list_display = ("name", "prefix", "user", "scopes", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = ("name", "prefix", "scopes", "user", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke", "allow_approvals", "revoke_approvals"]

    def get_queryset(self, request):
        return super().get_queryset(request).manageable_by(request.user)

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            services.apikey_revoke(actor=request.user, key=key)
        self.message_user(request, _("Keys revoked."), messages.SUCCESS)

    @admin.action(description=_("Allow the selected keys to approve, publish and withdraw"), permissions=["change"])
    def allow_approvals(self, request, queryset):
        """A team lead's own recent second factor first (off to the confirm page and back otherwise)."""
        if not grants.can_grant_approvals(request.user):
            self.message_user(request, _("Only a team lead may let a token approve."), messages.ERROR)
            return None
        if (refused := step_up_redirect(self, request)) is not None:
            return refused
        for key in queryset:
            try:
                grants.grant_enable(actor=request.user, factor=request.twofactor_factor, api_key=key)
            except StepUpRequired as error:
                self.message_user(request, str(error), messages.ERROR)
                return None
            except (PermissionDenied, ValidationError) as error:
                self.message_user(
                    request, f"{key}: {' '.join(getattr(error, 'messages', [str(error)]))}", messages.ERROR
                )
        self.message_user(request, _("Approvals enabled for the selected active keys."), messages.SUCCESS)
        return None

    @admin.action(description=_("Revoke the approvals of the selected keys"), permissions=["change"])
    def revoke_approvals(self, request, queryset):
        if not grants.can_grant_approvals(request.user):
            self.message_user(request, _("Only a team lead may revoke a token's approvals."), messages.ERROR)
            return
        for grant in ApprovalGrant.objects.active().filter(api_key__in=queryset):
            grants.grant_revoke(actor=request.user, grant=grant)
        self.message_user(request, _("Approvals revoked."), messages.SUCCESS)


@admin.register(ApprovalGrant)
class ApprovalGrantAdmin(admin.ModelAdmin):
    """Who let which token approve, and when; enabled at /api-keys/ (and the key actions above), revoked here too."""

    list_display = ("__str__", "enabled_by", "enabled_at", "revoked_by", "revoked_at")
    list_filter = ("revoked_at",)
    readonly_fields = ("api_key", "token_user", "enabled_by", "enabled_at", "revoked_by", "revoked_at")
    actions = ["revoke"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("api_key", "token_user", "enabled_by", "revoked_by")
        return queryset if grants.can_grant_approvals(request.user) else queryset.none()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return grants.can_grant_approvals(request.user)

    def has_module_permission(self, request):
        return grants.can_grant_approvals(request.user)

    def has_revoke_permission(self, request):
        return grants.can_grant_approvals(request.user)

    @admin.action(description=_("Revoke the selected grants"), permissions=["revoke"])
    def revoke(self, request, queryset):
        for grant in queryset.active():
            try:
                grants.grant_revoke(actor=request.user, grant=grant)
            except PermissionDenied as error:
                self.message_user(request, f"{grant}: {error}", messages.ERROR)
        self.message_user(request, _("Grants revoked."), messages.SUCCESS)
