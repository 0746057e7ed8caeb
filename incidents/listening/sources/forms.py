"""Browser forms of sources: configuration as JSON, one write-only credential per submit."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.listening.models import WatchTerm
from incidents.listening.sources.models import Source, SourceKind


class CredentialFieldsMixin(forms.Form):
    """One write-only credential per submit (browser and admin): a name and a value never shown again."""

    credential_name = forms.CharField(
        label=_("Credential name"), required=False, max_length=64, help_text=_("E.g. access_token, webhook_secret.")
    )
    credential_value = forms.CharField(
        label=_("Credential value"),
        required=False,
        max_length=4000,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Write-only: stored encrypted, never shown again. Or env:NAME to read it from the environment."),
    )

    def clean_credential_value(self):
        # A field clean (after credential_name's), so the admin's service step never sees a nameless value.
        value = self.cleaned_data["credential_value"]
        if value and not self.cleaned_data.get("credential_name"):
            self.add_error("credential_name", _("Name the credential."))
        return value

    def credentials(self) -> dict[str, str] | None:
        """``{name: value}`` for ``source_save`` when a value was typed; None leaves the stored ones alone."""
        if not self.cleaned_data.get("credential_value"):
            return None
        return {self.cleaned_data["credential_name"]: self.cleaned_data["credential_value"]}


class SourceForm(CredentialFieldsMixin, forms.Form):
    # The credential last, as before the mixin (a mixin's fields would otherwise come first).
    field_order = [
        "name",
        "kind",
        "config",
        "watch_terms",
        "enabled",
        "poll_interval_seconds",
        "max_requests_per_minute",
        "credential_name",
        "credential_value",
    ]

    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=SourceKind.choices)
    config = forms.CharField(
        label=_("Configuration (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_('E.g. {"instance_url": "https://mastodon.social", "hashtags": ["acme"]}; see the README.'),
    )
    watch_terms = forms.ModelMultipleChoiceField(
        label=_("Watch terms it serves"), queryset=WatchTerm.objects.filter(active=True), required=False
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    poll_interval_seconds = forms.IntegerField(label=_("Poll every (seconds)"), min_value=10, initial=300)
    max_requests_per_minute = forms.IntegerField(label=_("Rate limit (requests per minute)"), min_value=1, initial=30)

    def __init__(self, *args, source: Source | None = None, **kwargs):
        if source is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": source.name,
                    "kind": source.kind,
                    "config": json.dumps(source.config, indent=2),
                    "watch_terms": list(source.watch_terms.all()),
                    "enabled": source.enabled,
                    "poll_interval_seconds": source.poll_interval_seconds,
                    "max_requests_per_minute": source.max_requests_per_minute,
                },
            )
        super().__init__(*args, **kwargs)
        if source is not None:
            self.fields["kind"].disabled = True

    def clean_config(self):
        raw = self.cleaned_data["config"].strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("Not valid JSON.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Expected a JSON object."))
        return value
