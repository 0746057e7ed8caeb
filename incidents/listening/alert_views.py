"""Browser actions on a spike alert: open an incident from it, attach it to one, dismiss it with a reason.

POST only, so each works without JavaScript from the dashboard card and the alert page. The alert
is looked up among those the user may see (404 otherwise); whoever may not handle alerts gets a
403; a refusal of the service (someone handled it first, a blank reason) becomes a message after
the redirect back.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from crisisdesk.exceptions import InvalidTransition
from incidents.listening import alerts as alert_services
from incidents.listening.forms import active_incidents
from incidents.listening.models import Alert


class DismissForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=2000)


class AttachForm(forms.Form):
    incident = forms.ModelChoiceField(label=gettext_lazy("Incident"), queryset=None, to_field_name="reference")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = active_incidents(user)


class AlertActionView(LoginRequiredMixin, View):
    """Base of the POST actions on one alert."""

    def post(self, request, pk):
        alert = get_object_or_404(Alert.objects.visible_to(request.user), pk=pk)
        if not alert_services.can_handle_alerts(request.user):
            raise PermissionDenied(_("You may not handle alerts."))
        try:
            return self.act(alert)
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect(self.back(alert))

    def back(self, alert) -> str:
        target = self.request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()}):
            return target
        return reverse("mentions:alert", args=[alert.pk])

    def invalid(self, alert, form):
        for errors in form.errors.values():
            for error in errors:
                messages.error(self.request, error)
        return redirect(self.back(alert))


class AlertOpenIncidentView(AlertActionView):
    """Open an incident from the alert in one click; ``then=holding`` lands on drafting its holding statement."""

    def act(self, alert):
        incident = alert_services.alert_open_incident(actor=self.request.user, alert=alert)
        messages.success(
            self.request, _("Incident %(reference)s opened from the alert.") % {"reference": incident.reference}
        )
        if self.request.POST.get("then") == "holding":
            return redirect(reverse("incidents:statement_create", args=[incident.reference]) + "?holding=1")
        return redirect(incident.get_absolute_url())


class AlertAttachView(AlertActionView):
    """Attach the alert to an active incident the user may see."""

    def act(self, alert):
        form = AttachForm(self.request.POST, user=self.request.user)
        if not form.is_valid():
            return self.invalid(alert, form)
        incident = form.cleaned_data["incident"]
        alert_services.alert_attach(actor=self.request.user, alert=alert, incident=incident)
        messages.success(self.request, _("Alert attached to %(reference)s.") % {"reference": incident.reference})
        return redirect(self.back(alert))


class AlertDismissView(AlertActionView):
    """Dismiss the alert with a reason (required)."""

    def act(self, alert):
        form = DismissForm(self.request.POST)
        if not form.is_valid():
            return self.invalid(alert, form)
        alert_services.alert_dismiss(actor=self.request.user, alert=alert, reason=form.cleaned_data["reason"])
        messages.success(self.request, _("Alert dismissed."))
        return redirect(self.back(alert))
