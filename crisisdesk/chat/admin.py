"""Django admin for chat: destinations through the services (URL write-only, masked), deliveries read-only.

The include_confidential flag is guarded as for webhook subscriptions: the service
refuses it to anyone but a superuser, and the refusal shows on the form.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crisisdesk.admin import SERVICE_ERRORS, ReadOnlyInline, ServiceAdminMixin, ServiceForm, error_text
from crisisdesk.webhooks import events

from . import permissions, services
from .forms import URL_HELP
from .models import SEVERITY_CHOICES, ChatAttempt, ChatDelivery, Destination


class DestinationAdminForm(ServiceForm):
    """Creates with ``destination_create``, edits with ``destination_update``; the URL is never rendered back."""

    url = forms.CharField(
        label=_("Apprise URL"),
        max_length=2000,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=URL_HELP,
    )
    event_types = forms.MultipleChoiceField(
        label=_("event types"), choices=events.choices, widget=forms.CheckboxSelectMultiple
    )
    min_severity = forms.TypedChoiceField(label=_("minimum severity"), choices=SEVERITY_CHOICES, coerce=int)

    class Meta:
        model = Destination
        fields = ["name", "url", "event_types", "min_severity", "is_active", "include_confidential"]

    def apply(self, cleaned_data):
        data = {name: cleaned_data[name] for name in self.Meta.fields if name in cleaned_data}
        if self.instance.pk is None:
            return services.destination_create(actor=self.actor, **data)
        changes = {name: data[name] for name in self.changed_data if name in data}
        if not changes.get("url"):
            changes.pop("url", None)
        return services.destination_update(actor=self.actor, destination=self.instance, **changes)


@admin.register(Destination)
class DestinationAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = DestinationAdminForm
    list_display = ["name", "url_masked", "min_severity", "is_active", "include_confidential", "created_at"]
    list_filter = ["is_active", "include_confidential", "min_severity"]
    search_fields = ["name", "url_masked"]
    readonly_fields = ["url_masked", "created_by", "created_at", "updated_at"]
    actions = ["send_test"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None:
            return permissions.can_delete(request.user, obj)
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        services.destination_delete(actor=request.user, destination=obj)

    def delete_queryset(self, request, queryset):
        for destination in queryset:
            services.destination_delete(actor=request.user, destination=destination)

    @admin.action(description=_("Send a test message to the selected destinations"))
    def send_test(self, request, queryset):
        for destination in queryset:
            try:
                services.destination_test(actor=request.user, destination=destination)
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{destination}: {error_text(exc)}", messages.ERROR)
            else:
                self.message_user(request, gettext("%s: test message queued.") % destination, messages.SUCCESS)


class ChatAttemptInline(ReadOnlyInline):
    model = ChatAttempt
    show_change_link = False
    fields = ["number", "started_at", "duration_ms", "error", "succeeded"]
    readonly_fields = fields


@admin.register(ChatDelivery)
class ChatDeliveryAdmin(admin.ModelAdmin):
    """The chat delivery log, read-only; confidential incidents' deliveries hidden from those who may not see them."""

    list_display = ["event_type", "destination", "incident", "status", "attempts", "next_attempt_at", "created_at"]
    list_filter = ["status", "destination", "event_type"]
    list_select_related = ["destination", "incident"]
    search_fields = ["title", "last_error"]
    inlines = [ChatAttemptInline]
    readonly_fields = [
        "destination",
        "event",
        "event_type",
        "incident",
        "title",
        "body",
        "status",
        "attempts",
        "failures",
        "next_attempt_at",
        "last_attempt_at",
        "last_error",
        "delivered_at",
        "created_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=ChatDelivery.objects.visible_to(request.user).values("pk"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
