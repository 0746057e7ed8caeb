"""Browser forms for incidents. They validate input only; the services in ``incidents.services`` do the writing."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from incidents.models import (
    LEAD_ROLE_CODE,
    MANUAL_TIMELINE_KINDS,
    Channel,
    FactStatus,
    Incident,
    IncidentRole,
    Severity,
    Status,
)

# Incident roles are rows (team leads may edit them); the ones the roles migration creates are
# listed here so makemessages puts their names in the catalogue and the UI can show them translated.
SEEDED_INCIDENT_ROLE_NAMES = (
    gettext_noop("Incident lead"),
    gettext_noop("Spokesperson"),
    gettext_noop("Communications"),
    gettext_noop("Legal"),
    gettext_noop("Customer care"),
    gettext_noop("Social media"),
    gettext_noop("Scribe"),
    gettext_noop("Executive sponsor"),
)


def users_with_a_role():
    """People who may join a crisis team: active superusers and holders of a CrisisDesk role."""
    has_role = Q(
        groups__permissions__codename="view_incident", groups__permissions__content_type__app_label="incidents"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | has_role)
        .distinct()
        .order_by("username")
    )


class UserChoiceField(forms.ModelChoiceField):
    """A person chooser that shows full names where people have them."""

    def label_from_instance(self, obj):
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.username})" if full_name else obj.username


class IncidentRoleChoiceField(forms.ModelChoiceField):
    """An incident role chooser showing the role's translated name when the catalogue has it."""

    def label_from_instance(self, obj):
        return gettext(obj.name)


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's own date-time picker; the ISO format is what it submits."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class IncidentBaseForm(forms.ModelForm):
    """Fields shared by the create and edit forms; ``save()`` is never called, services write."""

    affected_channels = forms.MultipleChoiceField(
        label=_("Affected channels"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Incident
        fields = ["title", "summary", "category", "source", "affected_channels"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 4})}

    def save(self, commit=True):  # pragma: no cover - guard against a future shortcut
        raise NotImplementedError("Incidents are written by incidents.services, not by forms.")


class IncidentCreateForm(IncidentBaseForm):
    """Open an incident: the description plus severity, lead, flags and detection time."""

    lead = UserChoiceField(label=_("Lead"), queryset=users_with_a_role(), required=False)

    class Meta(IncidentBaseForm.Meta):
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
        widgets = {**IncidentBaseForm.Meta.widgets, "detected_at": DateTimeLocalInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = users_with_a_role()
        self.fields["detected_at"].required = False
        self.fields["detected_at"].help_text = _("When the crisis was first seen; defaults to now.")
        if not self.is_bound:
            self.initial.setdefault("detected_at", timezone.localtime().replace(second=0, microsecond=0))

    def _post_clean(self):
        # Model validation (reference, constraints) is the service's job; a ModelForm would
        # otherwise build and validate an Incident that is never saved.
        pass


class IncidentEditForm(IncidentBaseForm):
    """Edit an incident's description; the confidential flag only for those who may manage it."""

    class Meta(IncidentBaseForm.Meta):
        fields = ["title", "summary", "category", "source", "affected_channels", "confidential"]

    def __init__(self, *args, can_manage: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_manage:
            del self.fields["confidential"]

    def _post_clean(self):
        # Never mutate the instance: incident_update compares the new values with the stored ones.
        pass


class NoteForm(forms.Form):
    """A hand-written timeline entry."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(kind.value, kind.label) for kind in MANUAL_TIMELINE_KINDS],
        initial=MANUAL_TIMELINE_KINDS[0].value,
    )
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)


class TransitionForm(forms.Form):
    """Move an incident to another status, with an optional comment."""

    to_status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)


class SeverityForm(forms.Form):
    """Raise or lower severity, saying why."""

    severity = forms.TypedChoiceField(label=_("Severity"), choices=Severity.choices, coerce=int)
    comment = forms.CharField(label=_("Reason"), required=False, max_length=1000)


class SetLeadForm(forms.Form):
    """Hand the incident to another lead."""

    lead = UserChoiceField(label=_("Lead"), queryset=users_with_a_role())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = users_with_a_role()


class AddMemberForm(forms.Form):
    """Put someone on the crisis team in an incident role (the lead role has its own form)."""

    user = UserChoiceField(label=_("Person"), queryset=users_with_a_role())
    role = IncidentRoleChoiceField(label=_("Role"), queryset=IncidentRole.objects.exclude(code=LEAD_ROLE_CODE))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users_with_a_role()
        self.fields["role"].queryset = IncidentRole.objects.exclude(code=LEAD_ROLE_CODE)


class FactForm(forms.Form):
    """Register a claim in the facts register."""

    claim = forms.CharField(label=_("Claim"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    source = forms.CharField(label=_("Source"), required=False, max_length=300)


class VerifyFactForm(forms.Form):
    """Confirm or refute a fact, with a note saying how we know."""

    status = forms.ChoiceField(
        label=_("Verdict"), choices=[(FactStatus.CONFIRMED, _("Confirm")), (FactStatus.REFUTED, _("Refute"))]
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)
