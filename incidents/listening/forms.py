"""Forms of the mention inbox: bulk triage, public answer, private follow-up, watch terms, CSV upload."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crisisdesk.forms import ListedModelChoiceField
from incidents.listening.models import FollowUpChannel, MentionStatus, SpikeRule, WatchTerm, WatchTermKind
from incidents.listening.services import SPIKE_RULE_FIELDS
from incidents.models import Incident

TRIAGE_STATUSES = [(s.value, s.label) for s in MentionStatus if s != MentionStatus.ANSWERED_PRIVATELY]


# The incident pickers list the most recently detected active incidents (a desk of 100,000 incidents has
# hundreds active); any active incident the user may see is still accepted.
INCIDENT_CHOICES = 50


def active_incidents(user):
    return Incident.objects.visible_to(user).active().order_by("-detected_at")


def incident_picker(user, *, label, required: bool = False, help_text: str = "") -> ListedModelChoiceField:
    return ListedModelChoiceField(
        active_incidents(user), choice_limit=INCIDENT_CHOICES, label=label, required=required, help_text=help_text
    )


class BulkTriageForm(forms.Form):
    """Apply a status and/or an incident link to the ticked mentions."""

    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], widget=forms.MultipleHiddenInput)
    status = forms.ChoiceField(label=_("Set status"), choices=[("", "—"), *TRIAGE_STATUSES], required=False)

    def __init__(self, *args, user, **kwargs):
        # The inbox's filter form has an "incident" field too: ids of their own keep labels apart.
        kwargs.setdefault("auto_id", "triage_%s")
        super().__init__(*args, **kwargs)
        self.fields["incident"] = incident_picker(user, label=_("Link to incident"))
        # Any id may be posted; the service only touches mentions the user may see.
        self.fields["ids"].choices = [(i, i) for i in self.data.getlist("ids")] if hasattr(self.data, "getlist") else []

    def clean(self):
        data = super().clean()
        if not data.get("status") and not data.get("incident"):
            raise forms.ValidationError(_("Choose a status or an incident."))
        return data


class OpenIncidentForm(forms.Form):
    """Open an incident from the ticked mentions; the title is suggested from their watch terms when left blank."""

    # Not required here: the service says "tick at least one mention", for the API alike.
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], widget=forms.MultipleHiddenInput, required=False)
    title = forms.CharField(label=_("Incident title"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "open_%s")
        super().__init__(*args, **kwargs)
        # Any id may be posted; the service names those the user may not see as not found.
        self.fields["ids"].choices = [(i, i) for i in self.data.getlist("ids")] if hasattr(self.data, "getlist") else []


class AnswerForm(forms.Form):
    reply_url = forms.URLField(label=_("Public answer URL"), assume_scheme="https")


class FollowUpForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=FollowUpChannel.choices)
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incident"] = incident_picker(user, label=_("Incident"))
        self.order_fields(["channel", "incident", "outcome"])


class WatchTermForm(forms.Form):
    term = forms.CharField(label=_("Term"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=WatchTermKind.choices)


class CSVUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8. Columns: platform, external_id, text, posted_at (ISO 8601 with a time zone), "
            "optional edited_at, url, author, audience, language, sentiment. "
            "Bad rows are listed and skipped; a file that is not UTF-8 is refused whole."
        ),
    )


class SpikeRuleForm(forms.ModelForm):
    """The settings of a spike rule; saved by ``mention_services.spike_rule_save``, never by ``save()``."""

    class Meta:
        model = SpikeRule
        fields = list(SPIKE_RULE_FIELDS)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        attach_to = self.fields["attach_to"]
        self.fields["attach_to"] = incident_picker(
            user, label=attach_to.label, required=attach_to.required, help_text=attach_to.help_text
        )
        watch_term = self.fields["watch_term"]
        self.fields["watch_term"] = ListedModelChoiceField(
            WatchTerm.objects.order_by("term"),
            label=watch_term.label,
            required=watch_term.required,
            help_text=watch_term.help_text,
            empty_label=watch_term.empty_label,
        )

    def _post_clean(self):
        # The service validates the rule against the database; the form only checks the fields.
        pass
