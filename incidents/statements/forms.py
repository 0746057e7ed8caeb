"""Browser forms for statements. They validate input; ``incidents.statements.services`` writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crisisdesk.review.models import BodyFormat, ContentLanguage
from incidents import hooks
from incidents.models import Channel, Fact
from incidents.statements.models import Statement


class FactChoiceField(forms.ModelMultipleChoiceField):
    """Facts of the incident, each labelled with its verification status so nobody cites a rumour unknowingly."""

    def label_from_instance(self, obj):
        return f"[{obj.get_status_display()}] {obj.claim[:120]}"


class StatementForm(forms.Form):
    """Draft or edit a statement's words, channels and cited facts."""

    title = forms.CharField(label=_("Title"), max_length=200)
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(label=_("Language"), choices=ContentLanguage.choices, initial=ContentLanguage.EN)
    audience = forms.CharField(
        label=_("Audience"),
        max_length=200,
        required=False,
        help_text=Statement._meta.get_field("audience").help_text,
    )
    public_context = forms.CharField(
        # Not "… context": get_by_label("Text") (the body) would match it too.
        label=_("Public about line"),
        max_length=300,
        required=False,
        help_text=Statement._meta.get_field("public_context").help_text,
    )
    body_format = forms.ChoiceField(label=_("Format"), choices=BodyFormat.choices, initial=BodyFormat.PLAIN)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=100_000,
        help_text=_("Markdown is rendered safely: no HTML, scripts or styles survive."),
    )
    facts = FactChoiceField(
        label=_("Facts it rests on"),
        queryset=Fact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only confirmed facts may back a published statement."),
    )

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facts"].queryset = Fact.objects.filter(incident=incident).order_by("created_at", "id")
        if not self.fields["facts"].queryset.exists():
            del self.fields["facts"]


class StatementCreateForm(StatementForm):
    """A new statement, optionally from a usable (approved, unexpired) key message."""

    from_key_message = forms.ModelChoiceField(queryset=None, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The key messages' own rule (approved, unexpired, readable by this user): playbooks owns it.
        self.fields["from_key_message"].queryset = hooks.key_message_library().usable(user)


class StatementEditForm(StatementForm):
    """An edit: a new revision; a statement that was in review or approved goes back to draft."""

    comment = forms.CharField(
        label=_("What changed (optional)"), max_length=1000, required=False, help_text=_("Goes to the audit trail.")
    )


class RecordUrlForm(forms.Form):
    """Where a published statement went live on one of its channels."""

    channel = forms.ChoiceField(label=_("Channel"), choices=())
    url = forms.URLField(label=_("Live URL"), max_length=500, assume_scheme="https")

    def __init__(self, *args, statement: Statement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c, label) for c, label in Channel.choices if c in statement.channels]


class KeyMessageLanguageForm(forms.Form):
    """Which language ranks first when starting a statement from a key message (blank: the incident's)."""

    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("The incident's language")), *ContentLanguage.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
