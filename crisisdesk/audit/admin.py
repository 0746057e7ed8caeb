"""The audit trail in the admin: a read-only list. The user admin names who changes someone's roles."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext

from crisisdesk.twofactor.stepup import StepUpRequired, confirm_url, require_recent_factor

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


# What makes a change of someone's roles: it needs a second factor confirmed lately (issue 16).
ROLE_FIELDS = ("groups", "user_permissions", "is_superuser", "is_staff")


class StepUpRoleChangeMixin:
    """A change of ``role_fields`` needs a second factor confirmed in the step-up window
    (``crisisdesk.twofactor.stepup``): without one the form refuses, nothing is saved."""

    role_fields: tuple[str, ...] = ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        role_fields = self.role_fields

        def clean(form):
            cleaned_data = form_class.clean(form)
            if any(name in form.changed_data for name in role_fields):
                try:
                    require_recent_factor(request)
                except StepUpRequired:
                    raise ValidationError(
                        format_html(
                            '{} <a href="{}">{}</a>',
                            gettext("Changing roles needs a second factor confirmed in the last few minutes."),
                            confirm_url(request.get_full_path()),
                            gettext("Confirm it, then save again."),
                        )
                    ) from None
            return cleaned_data

        return type(form_class.__name__, (form_class,), {"clean": clean})


class AuditedUserAdmin(StepUpRoleChangeMixin, UserAdmin):
    """Django's user admin; group (role) changes it saves are audited with the admin user as the actor.

    Changing someone's roles (groups, permissions, superuser or staff status) needs a recent factor.
    """

    role_fields = ROLE_FIELDS

    def save_related(self, request, form, formsets, change):
        with acting_as(request.user):
            super().save_related(request, form, formsets, change)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)


class StepUpGroupAdmin(StepUpRoleChangeMixin, GroupAdmin):
    """Django's group admin; changing what a role (group) may do needs a recent second factor."""

    role_fields = ("name", "permissions")


if admin.site.is_registered(Group):
    admin.site.unregister(Group)
admin.site.register(Group, StepUpGroupAdmin)
