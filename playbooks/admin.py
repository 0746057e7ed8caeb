"""Django admin for playbooks, their versions and steps, the roster and exercises (imported by ``playbooks/admin.py``).

Every write goes through ``playbooks.services`` / ``playbooks.roster.services``:
forms are ``ServiceForm`` subclasses that call the service while validating, and
workflow moves are admin actions. A version's status, number and revisions are
read-only; its review (submit, approve, request changes, reject) is the engine's
actions, so four eyes applies here as everywhere. Steps are part of the reviewed
content: on a draft or in-review version they are edited in the inline, and saved
with the version's fields by one ``playbook_version_update`` call (a new revision,
back to draft, approvals voided), as in the war room and the API; on any other
version they are read-only.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from crisisdesk.admin import SERVICE_ERRORS, ServiceAdminMixin, ServiceForm
from crisisdesk.review import services as review_services
from crisisdesk.review.admin import (
    ReviewableAdmin,
    approve_items,
    client_ip,
    error_text,
    reject_items,
    request_changes_items,
    submit_items,
)
from crisisdesk.review.models import Action, ContentLanguage, ReviewStatus
from incidents.models import Channel, Incident
from playbooks import services
from playbooks.models import Exercise, ExerciseStatus, Playbook, PlaybookStep, PlaybookVersion
from playbooks.roster import services as roster_services
from playbooks.roster.models import Department, Person, RoleCapability

# --- playbooks -------------------------------------------------------------------------------------------------


class PlaybookAdminForm(ServiceForm):
    """Creates with ``playbook_create`` (a first draft version) and edits housekeeping with ``playbook_update``."""

    trigger_criteria = forms.CharField(
        label=_("trigger criteria"), widget=forms.Textarea, help_text=_("When to open this playbook (version 1).")
    )

    class Meta:
        model = Playbook
        fields = list(services.PLAYBOOK_FIELDS)
        widgets = {"review_due": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # The content lives in versions: edited there, never here.
            self.fields.pop("trigger_criteria")

    def apply(self, cleaned_data):
        data = {name: cleaned_data[name] for name in services.PLAYBOOK_FIELDS if name in cleaned_data}
        if self.instance.pk is None:
            return services.playbook_create(actor=self.actor, trigger_criteria=cleaned_data["trigger_criteria"], **data)
        changes = {name: value for name, value in data.items() if name in self.changed_data}
        if not changes:
            return self.instance
        return services.playbook_update(actor=self.actor, playbook=self.instance, **changes)


class VersionInline(admin.TabularInline):
    """A playbook's versions, newest first; each opens in its own admin page."""

    model = PlaybookVersion
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["number", "status", "summary", "created_by", "updated_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.action(description=_("Draft a new version"), permissions=["view"])
def draft_new_version(modeladmin, request, queryset):
    for playbook in queryset:
        try:
            version = services.playbook_version_create(
                actor=request.user, playbook=playbook, ip_address=client_ip(request)
            )
        except SERVICE_ERRORS as exc:
            modeladmin.message_user(request, f"{playbook}: {error_text(exc)}", messages.ERROR)
        else:
            modeladmin.message_user(
                request,
                gettext("%(playbook)s: version %(number)s drafted.") % {"playbook": playbook, "number": version.number},
            )


@admin.register(Playbook)
class PlaybookAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Playbooks: housekeeping (title, owner, review date) here; content in versions; never deleted."""

    form = PlaybookAdminForm
    inlines = [VersionInline]
    actions = [draft_new_version]
    list_display = ["title", "scenario", "language", "owner", "active_version", "review_due", "stale"]
    list_filter = ["scenario", "language"]
    search_fields = ["title"]
    list_select_related = ["owner", "active_version__playbook"]

    def get_queryset(self, request):
        return Playbook.objects.visible_to(request.user).select_related("owner", "active_version__playbook")

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_fields(self, request, obj=None):
        fields = list(services.PLAYBOOK_FIELDS)
        if obj is None:
            return [*fields, "trigger_criteria"]
        return [*fields, "active_version", "created_by", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["active_version", "created_by", "created_at", "updated_at"]

    def has_delete_permission(self, request, obj=None):
        # Activations and exercises point at playbooks: they are records.
        return False

    @admin.display(description=_("review overdue"), boolean=True)
    def stale(self, obj):
        return obj.is_stale()


class PlaybookVersionAdminForm(ServiceForm):
    """Edits a draft or in-review version with ``playbook_version_update`` (a new revision); never a status."""

    ip_address = None  # set by PlaybookVersionAdmin.get_form
    channels = forms.MultipleChoiceField(
        label=_("channels"), choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = PlaybookVersion
        fields = [*services.VERSION_FIELDS, "key_messages"]

    def apply(self, cleaned_data):
        changes = {
            name: cleaned_data[name]
            for name in services.VERSION_FIELDS
            if name in self.fields and name in self.changed_data and name in cleaned_data
        }
        key_messages = None
        if "key_messages" in self.fields and "key_messages" in self.changed_data:
            key_messages = list(cleaned_data.get("key_messages") or [])
        steps = self.steps_input()
        if not changes and key_messages is None and steps is None:
            return self.instance
        return services.playbook_version_update(
            actor=self.actor,
            version=self.instance,
            key_messages=key_messages,
            steps=steps,
            comment=gettext("Edited in the admin."),
            ip_address=self.ip_address,
            **changes,
        )

    def steps_input(self) -> list[dict] | None:
        """The whole list of steps from the step inline when it changed (None: leave the steps alone).

        The admin builds the inline's formset before validating this form and hands it over on the
        instance (``PlaybookVersionAdmin._create_formsets``), so the fields and the steps reach the
        service in one call: one revision, and a refusal of either leaves both unsaved.
        """
        formset = getattr(self.instance, "_step_formset", None)
        if formset is None or not formset.has_changed():
            return None
        if not formset.is_valid():
            raise ValidationError(gettext("Correct the steps below."))
        kept = [form for form in formset.forms if form.has_changed() or form.instance.pk]
        kept = [form for form in kept if not (formset.can_delete and formset._should_delete_form(form))]

        # Positions say the order (blank: at the end); the service numbers the steps 1, 2, 3…
        def order(form):
            position = form.cleaned_data.get("position")
            return (10**6 if position is None else position, formset.forms.index(form))

        kept.sort(key=order)
        return [{name: form.cleaned_data.get(name) for name in STEP_INPUT_FIELDS} for form in kept]


STEP_INPUT_FIELDS = ["title", "instructions", "role", "within_minutes"]


class StepForm(forms.ModelForm):
    """One step of the inline; never saved by itself (the version's service writes the whole list)."""

    class Meta:
        model = PlaybookStep
        fields = ["position", "title", "role", "within_minutes", "instructions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "position" in self.fields:
            self.fields["position"].required = False

    def validate_unique(self):
        # Positions are renumbered by the service: two rows may swap them.
        pass


class StepFormSet(forms.BaseInlineFormSet):
    def validate_unique(self):
        pass


class StepInline(admin.TabularInline):
    """A version's ordered steps: editable while the version is a draft or in review, read-only afterwards."""

    model = PlaybookStep
    form = StepForm
    formset = StepFormSet
    extra = 0
    fields = ["position", "title", "role", "within_minutes", "instructions"]

    def editable(self, request, obj) -> bool:
        # Whoever the review policy lets edit this version now (the service checks it again).
        if not PlaybookVersionAdmin.is_open(obj):
            return False
        return Action.EDIT in review_services.available_actions(user=request.user, item=obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if self.editable(request, obj) else self.fields

    def has_add_permission(self, request, obj=None):
        return self.editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.editable(request, obj)


@admin.register(PlaybookVersion)
class PlaybookVersionAdmin(ServiceAdminMixin, ReviewableAdmin):
    """Versions: number, status and review read-only; approved ones entirely; the review workflow as actions."""

    form = PlaybookVersionAdminForm
    inlines = [StepInline]
    # Versions are used, never published or withdrawn: approving one makes it the active version.
    actions = [submit_items, approve_items, request_changes_items, reject_items]
    list_display = ["__str__", "playbook", "number", "status", "created_by", "updated_at"]
    list_filter = ["status", "playbook__scenario"]
    search_fields = ["playbook__title"]
    review_readonly_fields = [
        name
        for name in ReviewableAdmin.review_readonly_fields
        if name not in ("published_revision_display", "published_at", "published_by")
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("playbook")

    def has_add_permission(self, request):
        # A new version is drafted from the newest one (playbook action, war room, API).
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        return type(form_class.__name__, (form_class,), {"ip_address": client_ip(request)})

    def _create_formsets(self, request, obj, change):
        # Built before the version's form is validated: hand the steps to it (see ``steps_input``).
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        for formset, inline in zip(formsets, inline_instances, strict=True):
            if isinstance(inline, StepInline) and request.method == "POST" and inline.editable(request, obj):
                obj._step_formset = formset
        return formsets, inline_instances

    def save_formset(self, request, form, formset, change):
        if formset.model is PlaybookStep:
            # The service already wrote the steps with the version; saving the formset would write them twice.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        super().save_formset(request, form, formset, change)

    @staticmethod
    def is_open(obj) -> bool:
        return obj is not None and obj.status in (ReviewStatus.DRAFT, ReviewStatus.IN_REVIEW)

    def get_fieldsets(self, request, obj=None):
        content = [*services.VERSION_FIELDS, "key_messages"]
        return [
            (None, {"fields": ["playbook", "number", *content]}),
            (pgettext_lazy("editorial review", "Review"), {"fields": self.review_readonly_fields}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["playbook", "number", *self.review_readonly_fields]
        if not self.is_open(obj):
            # Approved (maybe active), rejected or withdrawn: a record, never edited.
            readonly += [*services.VERSION_FIELDS, "key_messages"]
        return readonly


# --- roster ----------------------------------------------------------------------------------------------------


class DepartmentAdminForm(ServiceForm):
    """Creates with ``department_create``, edits with ``department_update``."""

    class Meta:
        model = Department
        fields = ["name", "description"]

    def apply(self, cleaned_data):
        data = {"name": cleaned_data["name"], "description": cleaned_data.get("description", "")}
        if self.instance.pk is None:
            return roster_services.department_create(actor=self.actor, **data)
        changes = {name: value for name, value in data.items() if name in self.changed_data}
        if not changes:
            return self.instance
        return roster_services.department_update(actor=self.actor, department=self.instance, **changes)

    def validate_unique(self):
        # The service validates (and reports) a duplicate name.
        pass


@admin.register(Department)
class DepartmentAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Departments the crisis team is drawn from."""

    form = DepartmentAdminForm
    list_display = ["name", "description"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        return False


class PersonAdminForm(ServiceForm):
    """Creates with ``person_create``, edits with ``person_update``; roles keep their priority, new ones come first."""

    languages = forms.MultipleChoiceField(
        label=_("languages"),
        choices=ContentLanguage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    role_choices = forms.ModelMultipleChoiceField(
        label=_("incident roles they can hold"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Person
        fields = list(roster_services.PERSON_FIELDS)

    def __init__(self, *args, **kwargs):
        from incidents.models import IncidentRole

        super().__init__(*args, **kwargs)
        self.fields["role_choices"].queryset = IncidentRole.objects.all()
        if self.instance.pk is not None:
            self.fields["role_choices"].initial = list(self.instance.roles.values_list("pk", flat=True))
            self.fields["backup"].queryset = Person.objects.exclude(pk=self.instance.pk)

    def apply(self, cleaned_data):
        data = {name: cleaned_data[name] for name in roster_services.PERSON_FIELDS if name in cleaned_data}
        roles = list(cleaned_data.get("role_choices") or [])
        if self.instance.pk is None:
            return roster_services.person_create(actor=self.actor, roles=roles, **data)
        priorities = dict(self.instance.capabilities.values_list("role_id", "priority"))
        changes = {name: value for name, value in data.items() if name in self.changed_data}
        role_entries = None
        if "role_choices" in self.changed_data:
            role_entries = [(role, priorities.get(role.pk, 1)) for role in roles]
        return roster_services.person_update(actor=self.actor, person=self.instance, roles=role_entries, **changes)


class CapabilityInline(admin.TabularInline):
    """The roles this person can hold and their call order; changed with the person or in "role capabilities"."""

    model = RoleCapability
    extra = 0
    can_delete = False
    fields = ["role", "priority"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """The crisis roster: how to reach each person, their backup, responsibilities and roles."""

    form = PersonAdminForm
    inlines = [CapabilityInline]
    list_display = ["full_name", "department", "job_title", "phone", "backup", "active"]
    list_filter = ["department", "active"]
    search_fields = ["full_name", "job_title", "email"]
    list_select_related = ["department", "backup"]

    def get_queryset(self, request):
        return Person.objects.visible_to(request.user).select_related("department", "backup", "user")

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_fields(self, request, obj=None):
        return [*roster_services.PERSON_FIELDS, "role_choices"]

    def save_related(self, request, form, formsets, change):
        # The service wrote the roles; form.save_m2m() has nothing left to do.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class CapabilityAdminForm(ServiceForm):
    """Changes a person's place in one role's call order with ``capability_set_priority``."""

    class Meta:
        model = RoleCapability
        fields = ["priority"]

    def apply(self, cleaned_data):
        return roster_services.capability_set_priority(
            actor=self.actor, capability=self.instance, priority=cleaned_data["priority"]
        )


@admin.register(RoleCapability)
class RoleCapabilityAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Who can hold which incident role, first call first; added and removed on the person."""

    form = CapabilityAdminForm
    list_display = ["role", "priority", "person"]
    list_filter = ["role"]
    list_select_related = ["role", "person"]
    fields = ["person", "role", "priority"]
    readonly_fields = ["person", "role"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(person__in=Person.objects.visible_to(request.user))
            .select_related("role", "person")
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- exercises -------------------------------------------------------------------------------------------------


class ExerciseAdminForm(ServiceForm):
    """Schedules with ``exercise_schedule``, records findings with ``exercise_update``; never a status."""

    class Meta:
        model = Exercise
        fields = ["playbook", "title", "scheduled_for", "participants", "findings", "follow_up_actions"]

    def apply(self, cleaned_data):
        participants = list(cleaned_data.get("participants") or [])
        if self.instance.pk is None:
            return services.exercise_schedule(
                actor=self.actor,
                playbook=cleaned_data["playbook"],
                title=cleaned_data["title"],
                scheduled_for=cleaned_data["scheduled_for"],
                participants=participants,
            )
        changes = {
            name: cleaned_data[name]
            for name in services.EXERCISE_FIELDS
            if name in self.fields and name in self.changed_data and name in cleaned_data
        }
        if not changes and "participants" not in self.changed_data:
            return self.instance
        return services.exercise_update(
            actor=self.actor,
            exercise=self.instance,
            participants=participants if "participants" in self.changed_data else None,
            **changes,
        )


def exercise_status_action(to_status: str, description):
    """An admin action moving the selected exercises to ``to_status`` through the service."""

    def act(modeladmin, request, queryset):
        for exercise in queryset:
            try:
                services.exercise_change_status(actor=request.user, exercise=exercise, to_status=to_status)
            except SERVICE_ERRORS as exc:
                modeladmin.message_user(request, f"{exercise}: {error_text(exc)}", messages.ERROR)
            else:
                modeladmin.message_user(request, f"{exercise}: {ExerciseStatus(to_status).label}.")

    act.__name__ = f"mark_{to_status}"
    return admin.action(description=description, permissions=["view"])(act)


@admin.action(description=_("Run as exercise (opens an exercise incident)"), permissions=["view"])
def run_exercises(modeladmin, request, queryset):
    for exercise in queryset:
        try:
            incident = services.exercise_run(actor=request.user, exercise=exercise)
        except SERVICE_ERRORS as exc:
            modeladmin.message_user(request, f"{exercise}: {error_text(exc)}", messages.ERROR)
        else:
            modeladmin.message_user(
                request,
                gettext("%(exercise)s: incident %(reference)s opened.")
                % {
                    "exercise": exercise,
                    "reference": incident.reference,
                },
            )


@admin.register(Exercise)
class ExerciseAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Drills: schedule, record findings; status and the exercise incident are read-only, moves are actions."""

    form = ExerciseAdminForm
    actions = [
        run_exercises,
        exercise_status_action(ExerciseStatus.COMPLETED, _("Mark completed")),
        exercise_status_action(ExerciseStatus.CANCELLED, _("Cancel")),
    ]
    list_display = ["title", "playbook", "scheduled_for", "status", "incident_link"]
    list_filter = ["status"]
    search_fields = ["title", "playbook__title"]
    list_select_related = ["playbook", "incident"]
    filter_horizontal = ["participants"]

    def get_queryset(self, request):
        # An exercise incident may be confidential: its link shows only to who may see it.
        visible = Incident.objects.visible_to(request.user).filter(pk=OuterRef("incident_id"))
        return (
            Exercise.objects.visible_to(request.user)
            .select_related("playbook", "incident")
            .annotate(incident_visible=Exists(visible))
        )

    def get_fields(self, request, obj=None):
        fields = ["playbook", "title", "scheduled_for", "participants", "findings", "follow_up_actions"]
        if obj is None:
            return fields[:4]
        return [*fields, "status", "incident_link", "completed_at", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["playbook", "status", "incident_link", "completed_at", "created_by", "created_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "playbook":
            kwargs["queryset"] = Playbook.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("exercise incident"))
    def incident_link(self, obj):
        # ``incident_visible`` comes from get_queryset: a confidential incident's reference stays hidden.
        if obj.incident_id is None or not getattr(obj, "incident_visible", False):
            return "—"
        return obj.incident.reference


# Key messages register their own admin; importing it here is what makes the admin find it.
from playbooks.keymessages import admin as _keymessages_admin  # noqa: E402, F401
