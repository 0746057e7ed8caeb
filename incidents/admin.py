"""Django admin for incidents: oversight and configuration, never a side door around the services.

Every write goes through ``incidents.services``: the add/change forms call the
service when they validate (so its errors show on the form), workflow moves
are admin actions, and status fields and clocks are read-only. Lists are built
from ``Incident.objects.visible_to``, so a confidential incident stays hidden
from staff who are not on its team.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crisisdesk.admin import SERVICE_ERRORS, ReadOnlyInline, ServiceAdminMixin, ServiceForm, error_text
from incidents import services
from incidents.models import (
    LEAD_ROLE_CODE,
    Channel,
    Fact,
    FactStatus,
    Incident,
    IncidentRole,
    Membership,
    ReferenceCounter,
    Status,
    TimelineEntry,
)
from incidents.selectors import visible_incidents

# --- inlines (read-only: changes go through the incident's services) -----------------------------------


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ["user", "role", "added_by", "added_at"]
    readonly_fields = fields


class FactInline(ReadOnlyInline):
    model = Fact
    fields = ["claim", "source", "status", "verified_by", "verified_at"]
    readonly_fields = fields


# --- incidents ----------------------------------------------------------------------------------------


class IncidentAdminForm(ServiceForm):
    """Opens an incident with ``incident_open``; edits it with ``incident_update`` and the severity/lead services."""

    affected_channels = forms.MultipleChoiceField(
        label=_("affected channels"), choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Incident
        # The admin narrows this to its fieldsets (add and change differ).
        fields = [
            "title",
            "summary",
            "category",
            "severity",
            "source",
            "affected_channels",
            "detected_at",
            "lead",
            "confidential",
            "is_exercise",
        ]

    def apply(self, cleaned_data):
        data = {name: cleaned_data[name] for name in self.fields if name in cleaned_data}
        if self.instance.pk is None:
            return services.incident_open(actor=self.actor, **data)
        incident = self.instance
        changed = set(self.changed_data)
        updates = {f: data[f] for f in (*services.EDITABLE_FIELDS, "confidential") if f in changed and f in data}
        if updates:
            incident = services.incident_update(actor=self.actor, incident=incident, **updates)
        if "severity" in changed:
            incident = services.incident_set_severity(actor=self.actor, incident=incident, severity=data["severity"])
        if "lead" in changed:
            if data["lead"] is None:
                raise ValidationError({"lead": gettext("Choose another lead; an incident's lead cannot be removed.")})
            incident = services.incident_set_lead(actor=self.actor, incident=incident, lead=data["lead"])
        return incident


def transition_action(to_status: Status):
    """An admin action moving the selected incidents to ``to_status`` through the service, one by one."""

    def move(modeladmin, request, queryset):
        for incident in queryset:
            try:
                services.incident_change_status(
                    actor=request.user, incident=incident, to_status=to_status, comment=gettext("From the admin.")
                )
            except SERVICE_ERRORS as exc:
                modeladmin.message_user(request, f"{incident.reference}: {error_text(exc)}", messages.ERROR)
            else:
                modeladmin.message_user(
                    request,
                    gettext("%(reference)s: moved to %(status)s.")
                    % {"reference": incident.reference, "status": to_status.label},
                    messages.SUCCESS,
                )

    move.__name__ = f"move_to_{to_status.value}"
    description = format_lazy(_("Move to “{status}”"), status=to_status.label)
    return admin.action(description=description, permissions=["transition"])(move)


@admin.register(Incident)
class IncidentAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Incidents the admin user may see; status and clocks read-only, moves as actions."""

    form = IncidentAdminForm
    list_display = ["reference", "title", "status", "severity", "category", "lead", "confidential", "detected_at"]
    list_filter = ["status", "severity", "category", "confidential", "is_exercise"]
    search_fields = ["reference", "title"]
    list_select_related = ["lead"]
    date_hierarchy = "detected_at"
    inlines = [MembershipInline, FactInline]
    actions = [transition_action(status) for status in Status]
    add_fieldsets = [
        (None, {"fields": ["title", "summary", "category", "severity", "source", "affected_channels"]}),
        (None, {"fields": ["detected_at", "lead", "confidential", "is_exercise"]}),
    ]
    change_fieldsets = [
        (None, {"fields": ["reference", "status", "title", "summary", "category", "severity", "source"]}),
        (None, {"fields": ["affected_channels", "lead", "confidential", "is_exercise", "timeline_link"]}),
        (
            _("Clock"),
            {
                "fields": [
                    "detected_at",
                    "acknowledged_at",
                    "first_public_response_at",
                    "resolved_at",
                    "closed_at",
                    "created_by",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]
    # Set once, at opening, or by the workflow: never typed in here.
    change_readonly_fields = [
        "reference",
        "status",
        "is_exercise",
        "detected_at",
        "acknowledged_at",
        "first_public_response_at",
        "resolved_at",
        "closed_at",
        "created_by",
        "created_at",
        "updated_at",
        "timeline_link",
    ]

    def get_queryset(self, request):
        return visible_incidents(request).select_related("lead")

    def get_inlines(self, request, obj):
        # A new incident has no team or facts yet; the service adds its first members.
        return self.inlines if obj else []

    def get_fieldsets(self, request, obj=None):
        return self.change_fieldsets if obj else self.add_fieldsets

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly_fields if obj else []

    def get_changeform_initial_data(self, request):
        return {"detected_at": timezone.now(), **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "lead":
            # Inactive accounts cannot lead; whether someone may, the service decides.
            kwargs["queryset"] = get_user_model().objects.filter(is_active=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        # An incident is a record of what happened; it is closed, not deleted.
        return False

    def has_transition_permission(self, request):
        user = request.user
        return user.has_perm("incidents.transition_incident") or user.has_perm("incidents.close_incident")

    @admin.display(description=_("timeline"))
    def timeline_link(self, obj):
        url = reverse("admin:incidents_timelineentry_changelist") + f"?incident__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, gettext("Show the timeline"))


# --- crisis team ----------------------------------------------------------------------------------------


class MembershipAdminForm(ServiceForm):
    """Puts someone on a crisis team with ``membership_add``."""

    class Meta:
        model = Membership
        fields = ["incident", "user", "role"]

    def apply(self, cleaned_data):
        return services.membership_add(
            actor=self.actor, incident=cleaned_data["incident"], user=cleaned_data["user"], role=cleaned_data["role"]
        )


@admin.action(description=_("Remove from the crisis team"), permissions=["delete"])
def remove_memberships(modeladmin, request, queryset):
    for membership in queryset:
        label = str(membership)
        try:
            services.membership_remove(actor=request.user, membership=membership)
        except SERVICE_ERRORS as exc:
            modeladmin.message_user(request, f"{label}: {error_text(exc)}", messages.ERROR)
        else:
            modeladmin.message_user(request, gettext("%s: removed.") % label, messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Crisis team memberships; added and removed through the services, never edited in place."""

    form = MembershipAdminForm
    list_display = ["incident", "user", "role", "added_by", "added_at"]
    list_filter = ["role"]
    search_fields = ["incident__reference", "user__username", "user__last_name"]
    list_select_related = ["incident", "user", "role", "added_by"]
    actions = [remove_memberships]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(incident__in=visible_incidents(request))

    def get_readonly_fields(self, request, obj=None):
        return ["incident", "user", "role", "added_by", "added_at"] if obj else []

    def get_actions(self, request):
        actions = super().get_actions(request)
        # The built-in bulk delete bypasses membership_remove (and its timeline entry).
        actions.pop("delete_selected", None)
        return actions

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "incident":
            kwargs["queryset"] = visible_incidents(request)
        elif db_field.name == "role":
            kwargs["queryset"] = IncidentRole.objects.exclude(code=LEAD_ROLE_CODE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        # Memberships are added or removed, never edited.
        return False

    def delete_model(self, request, obj):
        services.membership_remove(actor=request.user, membership=obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except SERVICE_ERRORS as exc:
            # The delete view's transaction rolled back (log entry included); say why.
            self.message_user(request, error_text(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:incidents_membership_changelist"))


# --- timeline -------------------------------------------------------------------------------------------


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    """The append-only log: viewable here, never added, changed or deleted."""

    list_display = ["created_at", "incident", "kind", "short_body", "author"]
    list_filter = ["kind"]
    search_fields = ["incident__reference", "body"]
    list_select_related = ["incident", "author"]
    date_hierarchy = "created_at"
    fields = ["incident", "kind", "body", "author", "data", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(incident__in=visible_incidents(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("text"))
    def short_body(self, obj):
        return obj.body if len(obj.body) <= 80 else f"{obj.body[:79]}…"


# --- facts ----------------------------------------------------------------------------------------------


class FactAdminForm(ServiceForm):
    """Registers a claim with ``fact_add``; verification is an action."""

    class Meta:
        model = Fact
        fields = ["incident", "claim", "source"]

    def apply(self, cleaned_data):
        return services.fact_add(
            actor=self.actor,
            incident=cleaned_data["incident"],
            claim=cleaned_data["claim"],
            source=cleaned_data["source"],
        )


def verify_action(verdict: FactStatus):
    """An admin action confirming or refuting the selected facts through ``fact_verify``."""

    def verify(modeladmin, request, queryset):
        for fact in queryset:
            try:
                services.fact_verify(actor=request.user, fact=fact, status=verdict)
            except SERVICE_ERRORS as exc:
                modeladmin.message_user(request, f"{fact}: {error_text(exc)}", messages.ERROR)
            else:
                modeladmin.message_user(
                    request,
                    gettext("%(fact)s: %(status)s.") % {"fact": fact, "status": verdict.label},
                    messages.SUCCESS,
                )

    verify.__name__ = f"mark_{verdict.value}"
    description = format_lazy(_("Mark as “{status}”"), status=verdict.label)
    return admin.action(description=description, permissions=["verify"])(verify)


@admin.register(Fact)
class FactAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """The facts registers; claims are added through the service and verified by actions."""

    form = FactAdminForm
    list_display = ["short_claim", "incident", "status", "source", "verified_by", "verified_at"]
    list_filter = ["status"]
    search_fields = ["incident__reference", "claim", "source"]
    list_select_related = ["incident", "verified_by"]
    actions = [verify_action(FactStatus.CONFIRMED), verify_action(FactStatus.REFUTED)]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(incident__in=visible_incidents(request))

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["incident", "claim", "source"]
        return [
            "incident",
            "claim",
            "source",
            "status",
            "created_by",
            "created_at",
            "verified_by",
            "verified_at",
            "verification_note",
        ]

    def get_readonly_fields(self, request, obj=None):
        # No service edits a claim after the fact: a correction is a new claim.
        return self.get_fields(request, obj) if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "incident":
            kwargs["queryset"] = visible_incidents(request).exclude(status=Status.CLOSED)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        # Viewable, and verified by the actions; the admin must still offer the
        # changelist actions, which need "view" only.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_verify_permission(self, request):
        return request.user.has_perm("incidents.verify_fact")

    @admin.display(description=_("claim"))
    def short_claim(self, obj):
        return str(obj)


# --- configuration --------------------------------------------------------------------------------------


@admin.register(IncidentRole)
class IncidentRoleAdmin(admin.ModelAdmin):
    """Incident roles and their responsibilities: data that team leads keep current."""

    list_display = ["name", "code", "position"]
    list_editable = ["position"]
    search_fields = ["name", "code"]

    # The services look these codes up; renaming or deleting them would break them.
    BUILT_IN_CODES = (LEAD_ROLE_CODE, "communications")

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.code in self.BUILT_IN_CODES:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(admin.ModelAdmin):
    """The last incident number handed out per year, for the record; only the service changes it."""

    list_display = ["year", "last_number"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The domain packages register their own models; importing them here is what makes the admin find them.
from incidents.checklist import admin as _checklist_admin  # noqa: E402, F401
from incidents.listening import admin as _listening_admin  # noqa: E402, F401
from incidents.listening.sources import admin as _sources_admin  # noqa: E402, F401
from incidents.response import admin as _response_admin  # noqa: E402, F401
from incidents.statements import admin as _statements_admin  # noqa: E402, F401
