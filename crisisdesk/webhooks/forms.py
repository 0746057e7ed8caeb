"""Browser forms for webhook subscriptions. They validate input; ``crisisdesk.webhooks.services`` writes."""

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from . import events, permissions


class SubscriptionForm(forms.Form):
    """Create or edit a subscription; the confidential and internal-drafts flags are offered to administrators only."""

    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("Who receives it, e.g. “Publishing tool”."))
    url = forms.URLField(
        label=_("Endpoint URL"),
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Receives signed POST requests."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=events.choices, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    include_confidential = forms.BooleanField(
        label=_("Include confidential incidents"),
        required=False,
        help_text=_("Also send events of confidential incidents to this endpoint."),
    )
    include_internal_drafts = forms.BooleanField(
        label=_("Internal: include drafts and staff notes"),
        required=False,
        help_text=_(
            "Also send the words of statements not yet published, withdrawal reasons and reviewers' comments. "
            "For internal systems only."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not permissions.can_set_confidential(user):
            del self.fields["include_confidential"]
        if not permissions.can_set_internal_drafts(user):
            del self.fields["include_internal_drafts"]
        if not self.is_bound and "event_types" not in self.initial:
            self.initial["event_types"] = list(events.EVENT_TYPES)


class RedeliverForm(forms.Form):
    """An empty form: the POST is the intent (CSRF-protected)."""
