"""The war room's checklist: activating a playbook on the incident and working its tasks (small POSTs).

The playbooks a user may activate come from ``incidents.hooks.playbook_catalogue()``: playbooks sit
above incidents and register it, so nothing here imports them.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from crisisdesk.exceptions import InvalidTransition
from incidents import hooks
from incidents.checklist.forms import TaskAssignForm, TaskCompleteForm, TaskSkipForm
from incidents.checklist.models import IncidentTask
from incidents.checklist.services import (
    can_activate,
    can_assign_task,
    can_view_tasks,
    playbook_activate,
    task_assign,
    task_complete,
    task_reopen,
    task_skip,
)
from incidents.models import Incident
from incidents.selectors import visible_incident_or_404


class _TaskActionView(LoginRequiredMixin, View):
    """Base of the checklist POSTs: look the incident and task up as the user sees them, call one service."""

    http_method_names = ["post"]
    form_class = None

    def post(self, request, reference, pk=None):
        self.incident = visible_incident_or_404(request, reference)
        task = get_object_or_404(IncidentTask.objects.filter(incident=self.incident), pk=pk) if pk else None
        form = self.form_class(request.POST) if self.form_class else None
        if form is not None and not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        else:
            try:
                self.perform(task, form)
            except (InvalidTransition, ValidationError) as error:
                messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect(reverse("incidents:detail", kwargs={"reference": reference}) + "#checklist-title")

    def perform(self, task, form):
        raise NotImplementedError


class ActivatePlaybookView(_TaskActionView):
    """Activate an approved playbook on the incident: its steps become the checklist."""

    def perform(self, task, form):
        chosen = self.request.POST.get("playbook", "")
        if not chosen:
            # No default: a playbook of the wrong scenario activated by one click is worse than a second click.
            raise ValidationError(_("Choose a playbook to activate."))
        playbook = get_object_or_404(
            hooks.playbook_catalogue().activatable(self.request.user), pk=chosen if chosen.isdigit() else 0
        )
        activation, created = playbook_activate(actor=self.request.user, incident=self.incident, playbook=playbook)
        if created:
            messages.success(self.request, _("Playbook “%s” activated.") % playbook.title)
        else:
            messages.info(self.request, _("This playbook was already active on this incident: nothing added."))


class TaskCompleteView(_TaskActionView):
    form_class = TaskCompleteForm

    def perform(self, task, form):
        task_complete(actor=self.request.user, task=task, note=form.cleaned_data["note"])
        messages.success(self.request, _("Task done: %s") % task.title)


class TaskSkipView(_TaskActionView):
    form_class = TaskSkipForm

    def perform(self, task, form):
        task_skip(actor=self.request.user, task=task, reason=form.cleaned_data["reason"])
        messages.success(self.request, _("Task skipped: %s") % task.title)


class TaskReopenView(_TaskActionView):
    def perform(self, task, form):
        task_reopen(actor=self.request.user, task=task)
        messages.success(self.request, _("Task reopened: %s") % task.title)


class TaskAssignView(_TaskActionView):
    form_class = TaskAssignForm

    def perform(self, task, form):
        task_assign(actor=self.request.user, task=task, assignee=form.cleaned_data["assignee"])
        messages.success(self.request, _("Task reassigned."))


def checklist_context(user, incident: Incident) -> dict:
    """What the war room's checklist partial needs; the tasks themselves come prefetched on the incident.

    One query (the activatable playbooks) when the user may activate, none otherwise.
    """
    can_activate_now = can_activate(user, incident)
    catalogue = hooks.playbook_catalogue()
    playbooks = list(catalogue.activatable(user)) if can_activate_now else []
    return {
        "can_view_tasks": can_view_tasks(user, incident),
        "can_activate": can_activate_now,
        "can_assign_tasks": can_assign_task(user, incident),
        "can_work_tasks": user.has_perm("incidents.complete_incidenttask")
        or any(m.user_id == user.pk for m in incident.memberships.all())
        or incident.lead_id == user.pk,
        "activatable_playbooks": playbooks,
        "suggested_playbook": catalogue.suggested(user, incident=incident, playbooks=playbooks) if playbooks else None,
        "now": timezone.now(),
    }
