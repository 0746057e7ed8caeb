"""Browser views of the crisis-team roster: the people list, "who to call", and the team lead's edit forms."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView

from crisisdesk.forms import apply_service_error
from playbooks.roster import services as roster_services
from playbooks.roster.filtersets import PersonFilterSet
from playbooks.roster.forms import PersonForm
from playbooks.roster.models import Department, Person, RoleCapability


class RosterListView(PermissionRequiredMixin, ListView):
    """Everyone on the roster, filtered by department, role and language (PersonFilterSet)."""

    permission_required = "playbooks.view_person"
    template_name = "roster/person_list.html"
    context_object_name = "people"
    paginate_by = 100

    @cached_property
    def filterset(self) -> PersonFilterSet:
        from django.db.models import Prefetch

        queryset = (
            Person.objects.visible_to(self.request.user)
            .select_related("department", "backup", "user")
            .prefetch_related(
                Prefetch("capabilities", queryset=RoleCapability.objects.select_related("role").order_by("priority"))
            )
        )
        filterset = PersonFilterSet(self.request.GET or None, queryset=queryset, request=self.request)
        for field in filterset.form.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
        return filterset

    def get_queryset(self):
        return self.filterset.qs if self.filterset.is_bound else self.filterset.queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filter_form=self.filterset.form,
            can_edit=roster_services.can_edit_roster(self.request.user),
            departments=Department.objects.all(),
            **kwargs,
        )


class WhoToCallView(PermissionRequiredMixin, TemplateView):
    """For each incident role: its written responsibilities, the first call and the backup, with phone numbers."""

    permission_required = "playbooks.view_person"
    template_name = "roster/who_to_call.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(contacts=roster_services.who_to_call(self.request.user), **kwargs)


class PersonFormView(LoginRequiredMixin, FormView):
    """Add or edit a roster entry through ``person_create`` / ``person_update`` (team leads)."""

    form_class = PersonForm
    template_name = "roster/person_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not roster_services.can_edit_roster(request.user):
            raise PermissionDenied
        self.person = (
            get_object_or_404(Person.objects.visible_to(request.user), pk=kwargs["pk"]) if "pk" in kwargs else None
        )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        if self.person is None:
            return {"active": True}
        initial = {name: getattr(self.person, name) for name in roster_services.PERSON_FIELDS}
        capabilities = list(self.person.capabilities.select_related("role"))
        initial["roles"] = [c.role for c in capabilities if c.priority == 1]
        initial["backup_roles"] = [c.role for c in capabilities if c.priority > 1]
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(person=self.person, **kwargs)

    def form_valid(self, form):
        data = {name: form.cleaned_data[name] for name in roster_services.PERSON_FIELDS if name in form.cleaned_data}
        roles = form.roles_with_priority()
        try:
            if self.person is None:
                roster_services.person_create(actor=self.request.user, roles=roles, **data)
            else:
                roster_services.person_update(actor=self.request.user, person=self.person, roles=roles, **data)
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Roster updated."))
        return redirect("roster:list")
