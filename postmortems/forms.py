"""Browser forms of post-crisis reviews and action items. They validate input only; ``postmortems.services`` decides."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models import Category, Severity
from postmortems.models import ActionItem, ActionItemStatus, PostmortemReview


class PostmortemForm(forms.ModelForm):
    """The sections of a review; saving makes a new revision through ``postmortem_update``."""

    comment = forms.CharField(
        label=_("What changed (optional)"), required=False, max_length=500, help_text=_("Shown in the audit trail.")
    )

    class Meta:
        model = PostmortemReview
        fields = [
            "title",
            "first_seen_at",
            "summary",
            "impact_reach",
            "impact_peak_mentions",
            "impact_sentiment",
            "impact_press",
            "went_well",
            "went_badly",
            "root_causes",
            "lessons",
        ]
        widgets = {
            "first_seen_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "summary": forms.Textarea(attrs={"rows": 4}),
            "impact_press": forms.Textarea(attrs={"rows": 3}),
            "went_well": forms.Textarea(attrs={"rows": 5}),
            "went_badly": forms.Textarea(attrs={"rows": 5}),
            "root_causes": forms.Textarea(attrs={"rows": 5}),
            "lessons": forms.Textarea(attrs={"rows": 5}),
        }


def assignable_users():
    """Active users with a CrisisDesk role: who may own an action item."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename="view_incident", groups__permissions__content_type__app_label="incidents")
        )
        .distinct()
        .order_by("username")
    )


class ActionItemForm(forms.ModelForm):
    """Add or edit an action item."""

    class Meta:
        model = ActionItem
        fields = ["title", "description", "owner", "due_date", "priority", "playbook"]
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_users()
        from playbooks.models import Playbook

        self.fields["playbook"].queryset = Playbook.objects.visible_to(user).order_by("title")
        self.fields["playbook"].help_text = _("The playbook this lesson must change (a new version is drafted there).")


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionItemStatus.choices)


class LibrarySearchForm(forms.Form):
    """The lessons library's filters: words, category, severity, year."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ChoiceField(label=_("Category"), required=False, choices=[("", _("Any"))] + Category.choices)
    severity = forms.TypedChoiceField(
        label=_("Severity"), required=False, coerce=int, empty_value=None, choices=[("", _("Any"))] + Severity.choices
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)


class MetricsFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
