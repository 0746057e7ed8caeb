"""Browser forms for playbooks, their versions and steps, exercises and the roster. They validate; services write."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crisisdesk.review.models import ContentLanguage
from incidents.models import Category, Channel, IncidentRole
from playbooks.keymessages.forms import DateInput
from playbooks.keymessages.models import KeyMessage
from playbooks.roster.models import Person


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class PlaybookForm(forms.Form):
    """A playbook's housekeeping: title, scenario, language, owner and review date."""

    title = forms.CharField(label=_("Title"), max_length=200)
    scenario = forms.ChoiceField(label=_("Scenario"), choices=Category.choices)
    language = forms.ChoiceField(label=_("Language"), choices=ContentLanguage.choices)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=get_user_model().objects.none(), required=False)
    review_due = forms.DateField(label=_("Review due"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(is_active=True, groups__isnull=False).distinct().order_by("username")
        )


class VersionForm(forms.Form):
    """The reviewed content of a playbook version (steps are a formset next to it)."""

    summary = forms.CharField(label=_("What changed"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    trigger_criteria = forms.CharField(label=_("Trigger criteria"), widget=forms.Textarea(attrs={"rows": 3}))
    severity_guide = forms.CharField(
        label=_("Severity guide"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    escalation_contacts = forms.CharField(
        label=_("Escalation contacts"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    key_messages = forms.ModelMultipleChoiceField(
        label=_("Key messages"), queryset=KeyMessage.objects.none(), required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key_messages"].queryset = KeyMessage.objects.visible_to(user).order_by("topic", "title")
        self.fields["key_messages"].widget.attrs["size"] = 6


class PlaybookCreateForm(PlaybookForm, VersionForm):
    """A new playbook and its first version."""


class StepForm(forms.Form):
    """One step: what, which incident role, within how many minutes of activation."""

    title = forms.CharField(label=_("What"), max_length=200)
    role = forms.ModelChoiceField(label=_("Role"), queryset=IncidentRole.objects.all(), required=False)
    within_minutes = forms.IntegerField(label=_("Within (minutes)"), min_value=0, initial=60)
    instructions = forms.CharField(label=_("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 1}))


StepFormSet = forms.formset_factory(StepForm, extra=2, can_delete=True)


class ExerciseForm(forms.Form):
    """Schedule a drill."""

    title = forms.CharField(label=_("Title"), max_length=200)
    scheduled_for = forms.DateTimeField(label=_("Date"), widget=DateTimeInput())
    participants = forms.ModelMultipleChoiceField(
        label=_("Participants"), queryset=Person.objects.filter(active=True), required=False
    )


class ExerciseRecordForm(forms.Form):
    """What a drill showed."""

    participants = forms.ModelMultipleChoiceField(
        label=_("Participants"), queryset=Person.objects.filter(active=True), required=False
    )
    findings = forms.CharField(label=_("Findings"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    follow_up_actions = forms.CharField(
        label=_("Follow-up actions"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
