"""Django admin for key messages: drafted and edited through the services, reviewed through the engine's actions.

The change form edits through ``keymessage_update`` (a new revision; its approval
is void and statements stop inheriting it). Key messages are used, not published:
there is no publish action, and withdraw retires one.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from crisisdesk.admin import ServiceAdminMixin, ServiceForm
from crisisdesk.review.admin import (
    ReviewableAdmin,
    approve_items,
    client_ip,
    reject_items,
    request_changes_items,
    submit_items,
    withdraw_items,
)
from playbooks.keymessages.models import KeyMessage
from playbooks.keymessages.services import EDITABLE_FIELDS, keymessage_create, keymessage_update


class KeyMessageAdminForm(ServiceForm):
    """Drafts with ``keymessage_create``, edits with ``keymessage_update``; never writes a status."""

    ip_address = None  # set by KeyMessageAdmin.get_form

    class Meta:
        model = KeyMessage
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "valid_until": forms.DateInput(attrs={"type": "date"}),
            "review_due": forms.DateInput(attrs={"type": "date"}),
        }

    def apply(self, cleaned_data):
        data = {name: cleaned_data[name] for name in EDITABLE_FIELDS if name in self.fields and name in cleaned_data}
        if self.instance.pk is None:
            return keymessage_create(actor=self.actor, ip_address=self.ip_address, **data)
        changes = {name: value for name, value in data.items() if name in self.changed_data}
        if not changes:
            return self.instance
        return keymessage_update(
            actor=self.actor,
            key_message=self.instance,
            comment=gettext("Edited in the admin."),
            ip_address=self.ip_address,
            **changes,
        )


@admin.register(KeyMessage)
class KeyMessageAdmin(ServiceAdminMixin, ReviewableAdmin):
    """Key messages; status, revisions and approvals read-only, the workflow as actions."""

    form = KeyMessageAdminForm
    actions = [submit_items, approve_items, request_changes_items, reject_items, withdraw_items]
    list_display = ["title", "topic", "kind", "language", "status", "valid_until", "review_due", "updated_at"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["title", "topic"]
    review_readonly_fields = [
        name
        for name in ReviewableAdmin.review_readonly_fields
        if name not in ("published_revision_display", "published_at", "published_by")
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        return type(form_class.__name__, (form_class,), {"ip_address": client_ip(request)})

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": list(EDITABLE_FIELDS)})]
        if obj is not None:
            fieldsets[0][1]["fields"].append("preview")
            fieldsets.append((pgettext_lazy("editorial review", "Review"), {"fields": self.review_readonly_fields}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return ["preview", *self.review_readonly_fields] if obj is not None else []

    @admin.display(description=_("rendered body"))
    def preview(self, obj):
        # Sanitised by nh3 (Markdown) or escaped (plain text): safe to show as HTML.
        return obj.rendered_body()
