"""The incident tasks API: a playbook's steps once activated, and their moves."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action

from crisisdesk.api.serializers import EmptySerializer
from crisisdesk.api.viewsets import VisibleModelViewSet
from crisisdesk.review.api import TRANSITION_ERRORS
from incidents.checklist import services as task_services
from incidents.checklist.api import serializers as s
from incidents.checklist.filtersets import TaskFilterSet
from incidents.checklist.models import IncidentTask

TASK_ACTION_SCHEMA = {"responses": {200: s.TaskSerializer, **TRANSITION_ERRORS}}


@extend_schema_view(
    list=extend_schema(summary=_("Tasks of the incidents you may see")),
    retrieve=extend_schema(summary=_("One incident task")),
    complete=extend_schema(summary=_("Mark the task done"), request=s.TaskCompleteSerializer, **TASK_ACTION_SCHEMA),
    skip=extend_schema(summary=_("Skip the task, saying why"), request=s.TaskSkipSerializer, **TASK_ACTION_SCHEMA),
    reopen=extend_schema(summary=_("Reopen a task closed by mistake"), request=EmptySerializer, **TASK_ACTION_SCHEMA),
    assign=extend_schema(
        summary=_("Give the task to someone else"), request=s.TaskAssignSerializer, **TASK_ACTION_SCHEMA
    ),
)
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Incident tasks (a playbook's steps once activated); each move writes the incident timeline."""

    queryset = IncidentTask.objects.select_related("incident", "role", "assignee", "completed_by")
    serializer_class = s.TaskSerializer
    filterset_class = TaskFilterSet
    visible_through = "incident"
    ordering = ("due_at", "id")  # the checklist order: soonest deadline first
    http_method_names = ["get", "post", "head", "options"]
    input_serializer_classes = {
        "complete": s.TaskCompleteSerializer,
        "skip": s.TaskSkipSerializer,
        "reopen": EmptySerializer,
        "assign": s.TaskAssignSerializer,
    }

    def done(self, task):
        return self.read_response(self.get_queryset().get(pk=task.pk))

    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        data = self.validated_input()
        return self.done(task_services.task_complete(actor=request.user, task=self.get_object(), note=data["note"]))

    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        data = self.validated_input()
        return self.done(task_services.task_skip(actor=request.user, task=self.get_object(), reason=data["reason"]))

    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        self.validated_input()
        return self.done(task_services.task_reopen(actor=request.user, task=self.get_object()))

    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        data = self.validated_input()
        task = task_services.task_assign(actor=request.user, task=self.get_object(), assignee=data["assignee"])
        return self.done(task)
