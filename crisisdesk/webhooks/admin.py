"""Django admin for webhooks: subscriptions through the services, deliveries read-only with a redeliver action.

The secret is never shown here (only masked): team leads reveal it on the
subscription's page. Deliveries and events of a confidential incident stay hidden
from staff who may not see that incident.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crisisdesk.admin import SERVICE_ERRORS, ReadOnlyInline, ServiceAdminMixin, ServiceForm, error_text

from . import events, permissions, services
from .models import Delivery, DeliveryAttempt, OutboxEvent, Subscription, visible_incidents


class SubscriptionAdminForm(ServiceForm):
    """Creates with ``subscription_create``, edits with ``subscription_update``."""

    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("event types"), choices=events.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Subscription
        fields = ["name", "url", "event_types", "is_active", "include_confidential", "include_internal_drafts"]

    def apply(self, cleaned_data):
        data = {name: cleaned_data[name] for name in self.Meta.fields if name in cleaned_data}
        if self.instance.pk is None:
            return services.subscription_create(actor=self.actor, **data)
        changes = {name: data[name] for name in self.changed_data if name in data}
        return services.subscription_update(actor=self.actor, subscription=self.instance, **changes)


@admin.register(Subscription)
class SubscriptionAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Subscriptions; deactivate rather than delete, so the delivery log stays."""

    form = SubscriptionAdminForm
    list_display = ["name", "url", "is_active", "include_confidential", "include_internal_drafts", "created_at"]
    list_filter = ["is_active", "include_confidential", "include_internal_drafts"]
    search_fields = ["name", "url"]
    readonly_fields = ["masked_secret", "created_by", "created_at", "updated_at"]
    actions = ["deactivate", "rotate_secret"]

    @admin.display(description=_("signing secret"))
    def masked_secret(self, obj):
        return obj.masked_secret

    def has_delete_permission(self, request, obj=None):
        return False

    def _each(self, request, queryset, call, done_message):
        for subscription in queryset:
            try:
                call(subscription)
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{subscription}: {error_text(exc)}", messages.ERROR)
            else:
                self.message_user(request, done_message % {"name": subscription}, messages.SUCCESS)

    @admin.action(description=_("Deactivate the selected subscriptions"))
    def deactivate(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda sub: services.subscription_set_active(actor=request.user, subscription=sub, active=False),
            gettext("%(name)s: deactivated."),
        )

    @admin.action(description=_("Generate a new signing secret"))
    def rotate_secret(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda sub: services.subscription_rotate_secret(actor=request.user, subscription=sub),
            gettext("%(name)s: new secret generated; reveal it on the subscription's page."),
        )


class AttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    show_change_link = False
    fields = ["number", "started_at", "duration_ms", "status_code", "error", "succeeded"]
    readonly_fields = fields


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log, read-only; "redeliver" goes through ``delivery_redeliver``."""

    list_display = ["event", "subscription", "status", "attempts", "last_status_code", "next_attempt_at", "created_at"]
    list_filter = ["status", "subscription", "event__event_type"]
    list_select_related = ["event", "subscription"]
    search_fields = ["event__id", "last_error"]
    inlines = [AttemptInline]
    actions = ["redeliver"]
    readonly_fields = [
        "event",
        "subscription",
        "status",
        "attempts",
        "failures",
        "next_attempt_at",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=Delivery.objects.visible_to(request.user).values("pk"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_redeliver_permission(self, request):
        return permissions.can_redeliver(request.user)

    @admin.action(description=_("Redeliver the selected deliveries"), permissions=["redeliver"])
    def redeliver(self, request, queryset):
        for delivery in queryset:
            try:
                services.delivery_redeliver(actor=request.user, delivery=delivery)
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{delivery}: {error_text(exc)}", messages.ERROR)
            else:
                self.message_user(request, gettext("%s: queued again.") % delivery, messages.SUCCESS)


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """The outbox: every event recorded, read-only."""

    list_display = ["event_type", "id", "incident", "confidential", "created_at"]
    list_filter = ["event_type", "confidential"]
    search_fields = ["id", "incident__reference"]
    readonly_fields = ["id", "event_type", "incident", "confidential", "created_at", "payload"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("incident")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(Q(incident__isnull=True) | Q(incident__in=visible_incidents(request.user)))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
