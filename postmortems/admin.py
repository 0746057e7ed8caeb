"""Django admin for post-crisis reviews and action items.

The change form edits sections through ``postmortem_update`` (a new revision; an approval is
void); status, revisions and approvals are read-only and move only through the review engine's
admin actions. Action item status moves through ``action_item_set_status`` actions.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from crisisdesk.admin import ServiceAdminMixin, ServiceForm
from crisisdesk.exceptions import DomainError
from crisisdesk.review.admin import ReviewableAdmin, client_ip
from postmortems import services
from postmortems.models import ActionItem, ActionItemStatus, PostmortemReview


class PostmortemAdminForm(ServiceForm):
    """Edits with ``postmortem_update``; never writes a status. Reviews are drafted by resolving an incident."""

    ip_address = None

    class Meta:
        model = PostmortemReview
        fields = list(services.EDITABLE_FIELDS)

    def apply(self, cleaned_data):
        changes = {name: cleaned_data[name] for name in services.EDITABLE_FIELDS if name in self.changed_data}
        if not changes:
            return self.instance
        return services.postmortem_update(
            actor=self.actor,
            review_item=self.instance,
            comment=gettext("Edited in the admin."),
            ip_address=self.ip_address,
            **changes,
        )


@admin.register(PostmortemReview)
class PostmortemReviewAdmin(ServiceAdminMixin, ReviewableAdmin):
    """Reviews of the incidents the admin user may see; the workflow is a set of actions."""

    form = PostmortemAdminForm
    list_display = ["title", "incident", "status", "created_by", "updated_at"]
    list_filter = ["status", "incident__severity", "incident__category"]
    search_fields = ["title", "incident__reference"]
    list_select_related = ["incident", "created_by"]
    fieldsets = [
        (None, {"fields": ["incident", "title", "first_seen_at", "summary"]}),
        (_("Impact"), {"fields": ["impact_reach", "impact_peak_mentions", "impact_sentiment", "impact_press"]}),
        (None, {"fields": ["went_well", "went_badly", "root_causes", "lessons"]}),
        (pgettext_lazy("editorial review", "Review"), {"fields": ReviewableAdmin.review_readonly_fields}),
    ]

    def get_queryset(self, request):
        return PostmortemReview.objects.visible_to(request.user).select_related(
            "incident", "current_revision", "created_by"
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        return type(form_class.__name__, (form_class,), {"ip_address": client_ip(request)})

    def get_readonly_fields(self, request, obj=None):
        return ["incident", *self.review_readonly_fields]

    def has_add_permission(self, request):
        # Drafted when the incident is resolved, never by hand.
        return False


def _set_status(status: str, description):
    def act(modeladmin, request, queryset):
        done = 0
        for item in queryset:
            try:
                services.action_item_set_status(actor=request.user, action_item=item, status=status)
                done += 1
            except (DomainError, PermissionDenied) as exc:
                modeladmin.message_user(request, f"{item}: {exc}", messages.ERROR)
        if done:
            modeladmin.message_user(request, gettext("%d action item(s) updated.") % done, messages.SUCCESS)

    act.__name__ = f"mark_{status}"
    act.short_description = description
    return act


class ActionItemAdminForm(ServiceForm):
    """Adds with ``action_item_create``, edits with ``action_item_update``; status moves through actions."""

    class Meta:
        model = ActionItem
        fields = ["review", "title", "description", "owner", "due_date", "priority", "playbook"]

    def apply(self, cleaned_data):
        fields = {k: cleaned_data.get(k) for k in ("title", "description", "owner", "due_date", "priority", "playbook")}
        if self.instance.pk is None:
            return services.action_item_create(actor=self.actor, review_item=cleaned_data["review"], **fields)
        changes = {k: v for k, v in fields.items() if k in self.changed_data}
        if not changes:
            return self.instance
        return services.action_item_update(actor=self.actor, action_item=self.instance, **changes)


@admin.register(ActionItem)
class ActionItemAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Action items of the reviews the admin user may see."""

    form = ActionItemAdminForm
    list_display = ["title", "review", "owner", "due_date", "priority", "status"]
    list_filter = ["status", "priority"]
    list_select_related = ["review", "owner"]
    readonly_fields = ["status", "closed_at", "created_by", "created_at"]
    actions = [
        _set_status(ActionItemStatus.IN_PROGRESS, _("Mark in progress")),
        _set_status(ActionItemStatus.DONE, _("Mark done")),
        _set_status(ActionItemStatus.WONT_DO, _("Mark won't do")),
        _set_status(ActionItemStatus.OPEN, _("Re-open")),
    ]

    def get_queryset(self, request):
        return ActionItem.objects.visible_to(request.user).select_related("review", "owner")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "review":
            kwargs["queryset"] = PostmortemReview.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False
