"""The response targets page: everyone with a role reads the targets, team leads edit them.

Thin: a model formset validates the four rows, ``response.response_target_update``
writes each changed one, its errors land on the row's form.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from crisisdesk.forms import apply_service_error
from incidents.response import services as response
from incidents.response.clocks import due_soon_fraction
from incidents.response.models import ResponseTarget

TARGET_FIELDS = ["acknowledge_minutes", "first_response_minutes", "update_interval_minutes", "update_window_minutes"]


class ResponseTargetForm(forms.ModelForm):
    """One severity's row; never saved by itself (the service writes)."""

    class Meta:
        model = ResponseTarget
        fields = TARGET_FIELDS
        widgets = {
            field: forms.NumberInput(attrs={"class": "form-control form-control-sm", "min": 1})
            for field in TARGET_FIELDS
        }


ResponseTargetFormSet = forms.modelformset_factory(ResponseTarget, form=ResponseTargetForm, extra=0, max_num=4)


class ResponseTargetsView(PermissionRequiredMixin, TemplateView):
    """Response targets per severity; a formset for team leads, a table for everyone else."""

    permission_required = "incidents.view_responsetarget"
    template_name = "incidents/response_targets.html"

    def get_context_data(self, **kwargs):
        can_edit = response.can_edit_targets(self.request.user)
        formset = kwargs.pop("formset", None)
        if formset is None and can_edit:
            formset = ResponseTargetFormSet(queryset=ResponseTarget.objects.order_by("severity"))
        return super().get_context_data(
            targets=ResponseTarget.objects.order_by("severity"),
            formset=formset,
            can_edit=can_edit,
            due_soon_percent=round(due_soon_fraction() * 100),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not response.can_edit_targets(request.user):
            raise PermissionDenied
        formset = ResponseTargetFormSet(request.POST, queryset=ResponseTarget.objects.order_by("severity"))
        if formset.is_valid() and self._save(formset):
            messages.success(request, _("Response targets saved."))
            return redirect("response_targets")
        return self.render_to_response(self.get_context_data(formset=formset))

    def _save(self, formset) -> bool:
        try:
            # All rows or none: a refused row leaves the others as they were.
            with transaction.atomic():
                for form in formset.forms:
                    if form.has_changed():
                        self._current = form
                        response.response_target_update(
                            actor=self.request.user,
                            target=form.instance,
                            **{f: form.cleaned_data[f] for f in TARGET_FIELDS},
                        )
        except ValidationError as error:
            apply_service_error(self._current, error)
            return False
        return True
