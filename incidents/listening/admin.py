"""Django admin for social listening (imported at the end of ``incidents/admin.py``).

Oversight and configuration, never a side door: watch terms, spike rules, feeds and private
follow-ups are added and changed through ``incidents.listening.services`` / ``mention_feeds``;
a mention's triage (status, incident link, public answer) goes through the triage services.
Mentions, alerts and follow-ups are listed from their ``visible_to`` querysets, so nothing
linked to a confidential incident leaks to staff outside its team. Nothing here deletes:
deleting a rule, term or mention would cascade to the evidence of past alerts.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crisisdesk.admin import SERVICE_ERRORS, ReadOnlyInline, ServiceAdminMixin, ServiceForm, error_text
from incidents.listening import alerts as alert_services
from incidents.listening import services
from incidents.listening.forms import active_incidents
from incidents.listening.models import (
    Alert,
    Mention,
    MentionStatus,
    MentionTerm,
    PrivateFollowUp,
    SpikeRule,
    WatchTerm,
)
from incidents.models import Incident

# Links typed without a scheme are web links (and Django 6 defaults to https anyway).
URL_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}


def https_urls(db_field, **kwargs):
    """``formfield_callback`` of the forms below, for the fields built when the form class is declared."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class NoDeleteMixin:
    formfield_overrides = URL_OVERRIDES

    def has_delete_permission(self, request, obj=None):
        return False


# --- watch terms ------------------------------------------------------------------------------------


class WatchTermAdminForm(ServiceForm):
    """Adds a term with ``watch_term_add``; a change only pauses or resumes it (``watch_term_set_active``)."""

    class Meta:
        model = WatchTerm
        fields = ["term", "kind", "active"]

    def apply(self, cleaned_data):
        if self.instance.pk is None:
            return services.watch_term_add(actor=self.actor, term=cleaned_data["term"], kind=cleaned_data["kind"])
        if "active" in self.changed_data:
            return services.watch_term_set_active(
                actor=self.actor, watch_term=self.instance, active=cleaned_data["active"]
            )
        return self.instance


@admin.register(WatchTerm)
class WatchTermAdmin(NoDeleteMixin, ServiceAdminMixin, admin.ModelAdmin):
    """Terms we listen for; the term itself is fixed once created (its matches were computed with it)."""

    form = WatchTermAdminForm
    list_display = ["term", "kind", "active", "created_by", "created_at"]
    list_filter = ["kind", "active"]
    search_fields = ["term"]
    list_select_related = ["created_by"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["term", "kind"]
        return ["term", "kind", "active", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["term", "kind", "created_by", "created_at"] if obj else []


# --- spike rules and alerts ---------------------------------------------------------------------------


class SpikeRuleAdminForm(ServiceForm):
    """Creates and changes a rule with ``spike_rule_save``."""

    class Meta:
        model = SpikeRule
        fields = list(services.SPIKE_RULE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "attach_to" in self.fields:
            self.fields["attach_to"].queryset = active_incidents(self.actor)

    def apply(self, cleaned_data):
        data = {name: cleaned_data[name] for name in services.SPIKE_RULE_FIELDS if name in cleaned_data}
        if self.instance.pk is not None:
            data = {name: value for name, value in data.items() if name in self.changed_data}
            if not data:
                return self.instance
        return services.spike_rule_save(actor=self.actor, rule=self.instance if self.instance.pk else None, data=data)


@admin.register(SpikeRule)
class SpikeRuleAdmin(NoDeleteMixin, ServiceAdminMixin, admin.ModelAdmin):
    """Spike rules (team leads also edit them at /mentions/rules/); deactivate one instead of deleting it."""

    form = SpikeRuleAdminForm
    list_display = ["name", "watch_term", "window_minutes", "min_count", "action", "active", "last_fired_at"]
    list_filter = ["active", "action"]
    search_fields = ["name", "watch_term__term"]
    list_select_related = ["watch_term"]
    readonly_fields = ["last_fired_at", "created_by", "created_at"]


def _for_each_alert(modeladmin, request, queryset, *, call, done) -> None:
    for alert in queryset:
        try:
            result = call(alert)
        except SERVICE_ERRORS as exc:
            modeladmin.message_user(request, f"{alert}: {error_text(exc)}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{alert}: {done(result)}", messages.SUCCESS)


@admin.action(description=_("Open an incident from each alert"), permissions=["view"])
def open_incidents(modeladmin, request, queryset):
    _for_each_alert(
        modeladmin,
        request,
        queryset,
        call=lambda alert: alert_services.alert_open_incident(actor=request.user, alert=alert),
        done=lambda incident: gettext("incident %(reference)s opened.") % {"reference": incident.reference},
    )


@admin.action(description=_("Dismiss (with a reason)"), permissions=["view"])
def dismiss_alerts(modeladmin, request, queryset):
    if request.POST.get("apply"):
        reason = request.POST.get("comment", "")
        _for_each_alert(
            modeladmin,
            request,
            queryset,
            call=lambda alert: alert_services.alert_dismiss(actor=request.user, alert=alert, reason=reason),
            done=lambda alert: gettext("dismissed."),
        )
        return None
    opts = modeladmin.model._meta
    # The review engine's confirmation page: lists the alerts, asks for the reason, re-posts the action.
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": gettext("Dismiss alerts"),
        "opts": opts,
        "rows": [
            {"item": alert, "revision": None, "html": "", "status": alert.get_handling_display() or "—"}
            for alert in queryset
        ],
        "action_name": "dismiss_alerts",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "comment_label": gettext("Why these alerts need no incident"),
        "submit_label": gettext("Dismiss"),
        "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
    }
    return TemplateResponse(request, "admin/review/confirm_action.html", context)


@admin.register(Alert)
class AlertAdmin(NoDeleteMixin, admin.ModelAdmin):
    """Alerts fired: read-only evidence; those on an incident you may not see stay hidden; handled by actions."""

    actions = [open_incidents, dismiss_alerts]
    list_display = ["fired_at", "rule", "watch_term", "count", "baseline", "negative_share", "incident", "handling"]
    list_filter = ["handling", "rule"]
    list_select_related = ["rule", "watch_term", "incident"]
    date_hierarchy = "fired_at"

    def get_queryset(self, request):
        return Alert.objects.visible_to(request.user).select_related("rule", "watch_term", "incident")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Alert._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- mentions ------------------------------------------------------------------------------------------


class MentionTermInline(ReadOnlyInline):
    model = MentionTerm
    fields = ["watch_term", "posted_at", "negative"]
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = _("matched watch terms")


class MentionAdminForm(ServiceForm):
    """Triage from the admin: link an incident, record the public answer, set the status — each by its service."""

    # Not named "status": the model field is not editable, and the admin refuses a form field of that name.
    triage_status = forms.ChoiceField(label=_("status"), choices=MentionStatus.choices)

    class Meta:
        model = Mention
        fields = ["incident", "reply_url"]
        formfield_callback = https_urls

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["triage_status"].initial = self.instance.status
        self.fields["incident"].queryset = active_incidents(self.actor)
        if self.instance.incident_id:
            # Keep the current link selectable even if the incident is no longer active.
            current = Incident.objects.visible_to(self.actor).filter(pk=self.instance.incident_id)
            self.fields["incident"].queryset = self.fields["incident"].queryset | current

    def apply(self, cleaned_data):
        mention = self.instance
        changed = set(self.changed_data)
        if "incident" in changed:
            if cleaned_data.get("incident") is None:
                self.add_error("incident", gettext("A mention cannot be unlinked from its incident here."))
                return None
            services.mentions_link_incident(actor=self.actor, mentions=[mention], incident=cleaned_data["incident"])
        if "reply_url" in changed and cleaned_data.get("reply_url"):
            services.mention_record_answer(actor=self.actor, mention=mention, reply_url=cleaned_data["reply_url"])
        if "triage_status" in changed:
            try:
                services.mentions_set_status(actor=self.actor, mentions=[mention], status=cleaned_data["triage_status"])
            except ValidationError as exc:
                raise ValidationError({"triage_status": exc.messages}) from exc
        mention.refresh_from_db()
        return mention


def _set_status(modeladmin, request, queryset, status: str) -> None:
    try:
        count = services.mentions_set_status(actor=request.user, mentions=list(queryset), status=status)
    except SERVICE_ERRORS as exc:
        modeladmin.message_user(request, error_text(exc), messages.ERROR)
    else:
        modeladmin.message_user(request, gettext("%(n)d mention(s) updated.") % {"n": count}, messages.SUCCESS)


@admin.action(description=_("Mark triaged"), permissions=["change"])
def mark_triaged(modeladmin, request, queryset):
    _set_status(modeladmin, request, queryset, MentionStatus.TRIAGED)


@admin.action(description=_("Mark ignored"), permissions=["change"])
def mark_ignored(modeladmin, request, queryset):
    _set_status(modeladmin, request, queryset, MentionStatus.IGNORED)


@admin.action(description=_("Mark escalated"), permissions=["change"])
def mark_escalated(modeladmin, request, queryset):
    _set_status(modeladmin, request, queryset, MentionStatus.ESCALATED)


@admin.register(Mention)
class MentionAdmin(NoDeleteMixin, ServiceAdminMixin, admin.ModelAdmin):
    """Mentions you may see; what the source delivered is read-only, triage goes through the services."""

    form = MentionAdminForm
    actions = [mark_triaged, mark_ignored, mark_escalated]
    inlines = [MentionTermInline]
    list_display = ["posted_at", "platform", "author", "audience", "sentiment_label", "status", "incident"]
    list_filter = ["status", "sentiment_label", "platform"]
    search_fields = ["text", "author", "external_id"]
    list_select_related = ["incident"]
    date_hierarchy = "posted_at"
    readonly_fields = [
        "platform",
        "external_id",
        "url",
        "author",
        "audience",
        "text",
        "language",
        "posted_at",
        "sentiment",
        "sentiment_label",
        "sentiment_source",
        "source",
        "received_at",
        "updated_at",
    ]
    fields = ["triage_status", "incident", "reply_url", *readonly_fields]

    def get_queryset(self, request):
        return Mention.objects.visible_to(request.user).select_related("incident")

    def has_add_permission(self, request):
        # Mentions arrive through the API, CSV import and feeds.
        return False


# --- private follow-ups ----------------------------------------------------------------------------------


class PrivateFollowUpAdminForm(ServiceForm):
    """Records a follow-up with ``mention_answer_privately``; a recorded one is read-only."""

    class Meta:
        model = PrivateFollowUp
        fields = ["mention", "incident", "channel", "outcome"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "mention" in self.fields:
            self.fields["mention"].queryset = Mention.objects.visible_to(self.actor)
            self.fields["incident"].queryset = active_incidents(self.actor)
            self.fields["incident"].required = False
            self.fields["incident"].help_text = _("Leave empty to use the mention's incident.")

    def apply(self, cleaned_data):
        return services.mention_answer_privately(
            actor=self.actor,
            mention=cleaned_data["mention"],
            incident=cleaned_data.get("incident"),
            channel=cleaned_data["channel"],
            outcome=cleaned_data.get("outcome", ""),
        )


@admin.register(PrivateFollowUp)
class PrivateFollowUpAdmin(NoDeleteMixin, ServiceAdminMixin, admin.ModelAdmin):
    """Confidential follow-ups: listed only for the incident's team (and superusers)."""

    form = PrivateFollowUpAdminForm
    list_display = ["created_at", "channel", "mention", "incident", "created_by"]
    list_filter = ["channel"]
    list_select_related = ["mention", "incident", "created_by"]

    def get_queryset(self, request):
        return PrivateFollowUp.objects.visible_to(request.user).select_related("mention", "incident", "created_by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["mention", "incident", "channel", "outcome"]
        return ["mention", "incident", "channel", "outcome", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else []

    def has_change_permission(self, request, obj=None):
        # A follow-up is a record of what was said; no service edits it.
        return False
