"""Browser forms of the roster."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crisisdesk.review.models import ContentLanguage
from incidents.models import IncidentRole
from playbooks.roster.models import Department, Person


class PersonForm(forms.Form):
    """A roster entry and the incident roles the person can hold."""

    full_name = forms.CharField(label=_("Name"), max_length=200)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all(), required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    backup = forms.ModelChoiceField(label=_("Backup person"), queryset=Person.objects.all(), required=False)
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=ContentLanguage.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    user = forms.ModelChoiceField(label=_("User account"), queryset=get_user_model().objects.all(), required=False)
    responsibilities = forms.CharField(
        label=_("Responsibilities"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles they can hold (first call)"),
        queryset=IncidentRole.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    backup_roles = forms.ModelMultipleChoiceField(
        label=_("Roles they back up"),
        queryset=IncidentRole.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def roles_with_priority(self) -> list:
        first = list(self.cleaned_data.get("roles") or [])
        backups = [role for role in self.cleaned_data.get("backup_roles") or [] if role not in first]
        return [(role, 1) for role in first] + [(role, 2) for role in backups]
