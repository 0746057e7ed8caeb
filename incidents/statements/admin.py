"""Django admin for statements and their live URLs (imported at the end of ``incidents/admin.py``).

The add form drafts through ``statement_create``; the change form edits through
``statement_update`` (a new revision; an approval is void). Status, revisions,
hashes and approvals are read-only, so a POST that adds ``status=published`` to
the change form changes nothing but the words; workflow moves are the review
engine's admin actions (``crisisdesk.review.admin``).
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from crisisdesk.admin import ServiceAdminMixin, ServiceForm
from crisisdesk.review.admin import ReviewableAdmin, client_ip
from incidents.models import Channel, Fact, Status
from incidents.selectors import visible_incidents
from incidents.statements.models import Statement, StatementPublication
from incidents.statements.services import EDITABLE_FIELDS, statement_create, statement_update


class StatementAdminForm(ServiceForm):
    """Drafts with ``statement_create``, edits with ``statement_update``; never writes a status."""

    ip_address = None  # set by StatementAdmin.get_form
    channels = forms.MultipleChoiceField(
        label=_("channels"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Statement
        # The admin narrows this to its fieldsets (add and change differ).
        fields = [
            "incident",
            "from_key_message",
            "title",
            "channels",
            "language",
            "audience",
            "public_context",
            "body",
            "body_format",
            "facts",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # From a key message, the title and body may be left empty: they are copied from it.
            for name in ("title", "body"):
                if name in self.fields:
                    self.fields[name].required = False
        if "facts" in self.fields and self.instance.pk is not None:
            self.fields["facts"].queryset = Fact.objects.filter(incident_id=self.instance.incident_id)

    def apply(self, cleaned_data):
        if self.instance.pk is None:
            return statement_create(
                actor=self.actor,
                incident=cleaned_data["incident"],
                from_key_message=cleaned_data.get("from_key_message"),
                title=cleaned_data.get("title") or None,
                body=cleaned_data.get("body") or None,
                channels=cleaned_data.get("channels") or [],
                language=cleaned_data.get("language") or None,
                audience=cleaned_data.get("audience") or "",
                public_context=cleaned_data.get("public_context") or "",
                body_format=cleaned_data.get("body_format") or None,
                facts=cleaned_data.get("facts") or (),
                ip_address=self.ip_address,
            )
        changes = {
            name: cleaned_data[name]
            for name in EDITABLE_FIELDS
            if name in self.fields and name in self.changed_data and name in cleaned_data
        }
        if not changes:
            return self.instance
        return statement_update(
            actor=self.actor,
            statement=self.instance,
            comment=gettext("Edited in the admin."),
            ip_address=self.ip_address,
            **changes,
        )


@admin.register(Statement)
class StatementAdmin(ServiceAdminMixin, ReviewableAdmin):
    """Statements of the incidents the admin user may see; the workflow is a set of actions."""

    form = StatementAdminForm
    list_display = ["title", "incident", "status", "language", "channels_display", "created_by", "updated_at"]
    list_filter = ["status", "language"]
    search_fields = ["title", "incident__reference"]
    list_select_related = ["incident", "created_by"]
    add_fields = [
        "incident",
        "from_key_message",
        "title",
        "channels",
        "language",
        "audience",
        "public_context",
        "body",
        "body_format",
        "facts",
    ]
    change_fieldsets = [
        (
            None,
            {"fields": ["incident", "from_key_message", "title", "channels", "language", "audience", "public_context"]},
        ),
        (None, {"fields": ["body", "body_format", "facts", "preview"]}),
        (pgettext_lazy("editorial review", "Review"), {"fields": ReviewableAdmin.review_readonly_fields}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("incident")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        return type(form_class.__name__, (form_class,), {"ip_address": client_ip(request)})

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": self.add_fields})]
        return self.change_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["incident", "from_key_message", "preview", *self.review_readonly_fields]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "incident":
            kwargs["queryset"] = visible_incidents(request).exclude(status=Status.CLOSED)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "facts":
            kwargs["queryset"] = Fact.objects.filter(incident__in=visible_incidents(request))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("channels"))
    def channels_display(self, obj):
        return ", ".join(obj.get_channels_display())

    @admin.display(description=_("rendered body"))
    def preview(self, obj):
        # Sanitised by nh3 (Markdown) or escaped (plain text): safe to show as HTML.
        return obj.rendered_body()


@admin.register(StatementPublication)
class StatementPublicationAdmin(admin.ModelAdmin):
    """Live URLs recorded for published statements; recorded through the service (war room, API), viewable here."""

    list_display = ["statement", "channel", "url", "recorded_by", "recorded_at"]
    list_filter = ["channel"]
    list_select_related = ["statement", "recorded_by"]
    fields = ["statement", "channel", "url", "recorded_by", "recorded_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(statement__in=Statement.objects.visible_to(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
