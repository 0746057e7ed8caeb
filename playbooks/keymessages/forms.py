"""Browser forms for key messages. They validate input only; ``playbooks.services`` writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crisisdesk.review.models import BodyFormat, ContentLanguage
from playbooks.keymessages.models import KeyMessageKind


class DateInput(forms.DateInput):
    """The browser's own date picker."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class KeyMessageForm(forms.Form):
    """Draft or edit a key message (holding statement, line to take, Q&A)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=KeyMessageKind.choices, initial=KeyMessageKind.HOLDING_STATEMENT)
    topic = forms.CharField(
        label=_("Topic"), max_length=200, help_text=_("What situation it is for, e.g. product recall.")
    )
    title = forms.CharField(label=_("Title"), max_length=200, help_text=_("The headline when used as a statement."))
    language = forms.ChoiceField(label=_("Language"), choices=ContentLanguage.choices, initial=ContentLanguage.EN)
    body_format = forms.ChoiceField(label=_("Format"), choices=BodyFormat.choices, initial=BodyFormat.PLAIN)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=100_000,
        help_text=_("Markdown is rendered safely: no HTML, scripts or styles survive."),
    )
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=DateInput(), help_text=_("Not usable after this day.")
    )
    review_due = forms.DateField(label=_("Review due"), required=False, widget=DateInput())


class KeyMessageEditForm(KeyMessageForm):
    """An edit: a new revision, back to draft, so statements stop inheriting the old approval."""

    comment = forms.CharField(
        label=_("What changed (optional)"), max_length=1000, required=False, help_text=_("Goes to the audit trail.")
    )
