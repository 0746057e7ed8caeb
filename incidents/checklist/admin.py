"""Django admin for incident tasks (imported at the end of ``incidents/admin.py``).

Tasks are listed only for incidents the admin user may see. Status, deadline and
who closed a task are read-only; the assignee is changed through ``task_assign``
and completing, skipping (with a reason, asked on a confirmation page) and
reopening are admin actions calling ``incidents.checklist.services``, which write the
incident timeline.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crisisdesk.admin import SERVICE_ERRORS, ServiceAdminMixin, ServiceForm, error_text
from incidents.checklist import services as task_services
from incidents.checklist.models import IncidentTask
from incidents.selectors import visible_incidents


class IncidentTaskAdminForm(ServiceForm):
    """Reassigns a task with ``task_assign``; nothing else of a task is edited here."""

    class Meta:
        model = IncidentTask
        fields = ["assignee"]

    def apply(self, cleaned_data):
        if "assignee" not in self.changed_data:
            return self.instance
        return task_services.task_assign(actor=self.actor, task=self.instance, assignee=cleaned_data.get("assignee"))


def _for_each_task(modeladmin, request, queryset, *, call, done: str) -> None:
    for task in queryset:
        try:
            call(task)
        except SERVICE_ERRORS as exc:
            modeladmin.message_user(request, f"{task}: {error_text(exc)}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{task}: {done}", messages.SUCCESS)


@admin.action(description=_("Mark done"), permissions=["view"])
def complete_tasks(modeladmin, request, queryset):
    _for_each_task(
        modeladmin,
        request,
        queryset,
        call=lambda task: task_services.task_complete(actor=request.user, task=task, note=gettext("From the admin.")),
        done=gettext("done."),
    )


@admin.action(description=_("Skip (with a reason)"), permissions=["view"])
def skip_tasks(modeladmin, request, queryset):
    if request.POST.get("apply"):
        reason = request.POST.get("comment", "")
        _for_each_task(
            modeladmin,
            request,
            queryset,
            call=lambda task: task_services.task_skip(actor=request.user, task=task, reason=reason),
            done=gettext("skipped."),
        )
        return None
    opts = modeladmin.model._meta
    # The review engine's confirmation page: lists the items, asks for the text, re-posts the action.
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": gettext("Skip tasks"),
        "opts": opts,
        "rows": [
            {"item": task, "revision": None, "html": "", "status": task.get_status_display()} for task in queryset
        ],
        "action_name": "skip_tasks",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "comment_label": gettext("Why these tasks are skipped"),
        "submit_label": gettext("Skip"),
        "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
    }
    return TemplateResponse(request, "admin/review/confirm_action.html", context)


@admin.action(description=_("Reopen"), permissions=["view"])
def reopen_tasks(modeladmin, request, queryset):
    _for_each_task(
        modeladmin,
        request,
        queryset,
        call=lambda task: task_services.task_reopen(actor=request.user, task=task),
        done=gettext("reopened."),
    )


@admin.register(IncidentTask)
class IncidentTaskAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Checklist items of the incidents you may see; status read-only, moves as actions, never added or deleted."""

    form = IncidentTaskAdminForm
    actions = [complete_tasks, skip_tasks, reopen_tasks]
    list_display = ["title", "incident", "role", "assignee", "due_at", "status"]
    list_filter = ["status", "role"]
    search_fields = ["title", "incident__reference"]
    list_select_related = ["incident", "role", "assignee"]
    readonly_fields = [
        "incident",
        "position",
        "title",
        "instructions",
        "role",
        "due_at",
        "status",
        "completed_at",
        "completed_by",
        "note",
    ]
    fields = [*readonly_fields[:5], "assignee", *readonly_fields[5:]]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(incident__in=visible_incidents(request))
            .select_related("incident", "role", "assignee", "completed_by")
        )

    def has_add_permission(self, request):
        # Tasks come from activating a playbook on an incident.
        return False

    def has_delete_permission(self, request, obj=None):
        return False
