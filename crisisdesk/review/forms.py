"""Browser forms of the review workflow. They validate input only; ``crisisdesk.review.services`` decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Action

# The transitions a person triggers with a button; EDIT, CREATE and PRE_APPROVE happen through other paths.
BUTTON_ACTIONS = (
    Action.SUBMIT,
    Action.APPROVE,
    Action.REQUEST_CHANGES,
    Action.REJECT,
    Action.PUBLISH,
    Action.WITHDRAW,
)

# Actions whose service refuses an empty comment (the reviewer or withdrawer must say why).
ACTIONS_NEEDING_A_REASON = (Action.REQUEST_CHANGES, Action.REJECT, Action.WITHDRAW)


class TransitionForm(forms.Form):
    """One workflow button press: which action, an optional or required comment, the revision the user saw.

    The revision is the primary key of the revision shown on the page: the services refuse it (409)
    when an edit replaced it meanwhile, so nobody approves or publishes words they did not read.
    """

    action = forms.ChoiceField(label=_("Action"), choices=[(a.value, a.label) for a in BUTTON_ACTIONS])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=5000, widget=forms.Textarea)
    revision = forms.IntegerField(label=_("Revision"), required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action in ACTIONS_NEEDING_A_REASON and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", _("Say why: this comment is required for this action."))
        if action == Action.APPROVE and not cleaned.get("revision"):
            self.add_error("revision", _("Say which revision you reviewed."))
        return cleaned
