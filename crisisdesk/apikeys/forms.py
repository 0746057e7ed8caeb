"""Browser form for integration API keys. It validates input; ``crisisdesk.apikeys.services`` writes."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import APIKey, Scope


class APIKeyForm(forms.Form):
    """Create a key: a name and its scopes; superusers also choose the user the key acts as."""

    name = forms.CharField(
        label=_("Name"),
        max_length=APIKey._meta.get_field("name").max_length,
        help_text=_("Which integration uses it, e.g. “Social monitoring tool”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Grant only what the integration needs: a monitoring tool pushing mentions needs “Ingest mentions”."
        ),
    )
    user = forms.ModelChoiceField(
        label=_("Acts as"),
        queryset=get_user_model().objects.none(),
        help_text=_("The key reads and writes with this person's permissions."),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        # Everyone else's keys act as themselves: a team lead must not mint a key carrying
        # somebody else's permissions (e.g. a member of a confidential incident's team).
        if actor.is_superuser:
            self.fields["user"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
            self.fields["user"].initial = actor.pk
        else:
            del self.fields["user"]
