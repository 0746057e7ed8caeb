"""Forms of the war room's checklist."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _


class ActivateForm(forms.Form):
    """Pick an approved playbook to activate on the incident."""

    playbook = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TaskSkipForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class TaskCompleteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


class TaskAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=get_user_model().objects.all(), required=False)
