"""Browser forms for chat destinations. They validate input; ``crisisdesk.chat.services`` writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crisisdesk.webhooks import events

from . import permissions
from .models import SEVERITY_CHOICES

URL_HELP = _(
    "An Apprise URL, e.g. mmost://chat.example.org/token, msteams://…, slack://…, "
    "mailto://user:password@smtp.example.org?to=duty@example.org, or env:NAME to read it from the server's "
    "environment. Stored encrypted and never shown again."
)


class DestinationForm(forms.Form):
    """Create or edit a destination; the URL is write-only, the confidential flag is for administrators only."""

    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("Who receives it, e.g. “Crisis room”."))
    url = forms.CharField(
        label=_("Apprise URL"),
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=URL_HELP,
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=events.choices, widget=forms.CheckboxSelectMultiple
    )
    min_severity = forms.TypedChoiceField(
        label=_("Minimum severity"),
        choices=SEVERITY_CHOICES,
        coerce=int,
        initial=4,
        help_text=_("Events of less severe incidents are not sent. Events without an incident always are."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    include_confidential = forms.BooleanField(
        label=_("Include confidential incidents"),
        required=False,
        help_text=_("Also send events of confidential incidents to this destination."),
    )

    def __init__(self, *args, user, destination=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not permissions.can_set_confidential(user):
            del self.fields["include_confidential"]
        if destination is not None:
            self.fields["url"].required = False
            self.fields["url"].help_text = _("Stored: %(masked)s. Leave empty to keep it.") % {
                "masked": destination.url_masked
            }
        if not self.is_bound and "event_types" not in self.initial:
            self.initial["event_types"] = list(events.EVENT_TYPES)


class ConfirmForm(forms.Form):
    """An empty form: the POST is the intent (CSRF-protected)."""
