"""REST API of playbooks and their versions, incident tasks, the roster and exercises.

Thin viewsets on ``crisisdesk.api.viewsets``: every queryset is what the user may
see (tasks through ``Incident.objects.visible_to``), each write validates a small
input serializer and calls one service, whose errors map to 400/403/409.
"""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from crisisdesk.api.serializers import EmptySerializer
from crisisdesk.api.viewsets import VisibleModelViewSet
from crisisdesk.review.api import ERRORS, REVIEW_INPUT_SERIALIZERS, TRANSITION_ERRORS, ReviewActionsMixin
from crisisdesk.review.api import review_action_schemas as _review_action_schemas
from crisisdesk.review.views import client_ip
from incidents.checklist import services as task_services
from incidents.checklist.api.serializers import TaskSerializer
from incidents.models import Incident
from playbooks import services
from playbooks.api import serializers as s
from playbooks.filtersets import ExerciseFilterSet, PlaybookFilterSet
from playbooks.models import Exercise, ExerciseStatus, Playbook, PlaybookVersion


def version_review_schemas() -> dict:
    # Versions are used, never withdrawn: document the engine's actions without withdraw.
    schemas = _review_action_schemas(s.PlaybookVersionDetailSerializer, withdraw_summary="")
    schemas.pop("withdraw")
    return schemas


# --- playbooks ---------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("List playbooks")),
    retrieve=extend_schema(summary=_("One playbook")),
    create=extend_schema(
        summary=_("Create a playbook and its first version (a draft)"),
        request=s.PlaybookCreateSerializer,
        responses={201: s.PlaybookSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Change the playbook's title, owner or review-due date (team leads and its owner)"),
        request=s.PlaybookUpdateSerializer,
        responses={200: s.PlaybookSerializer, **ERRORS},
    ),
    versions=extend_schema(
        summary=_("Every version of the playbook, newest first"),
        responses={200: s.PlaybookVersionSerializer(many=True), 404: ERRORS[404]},
    ),
    new_version=extend_schema(
        summary=_("Draft the next version from the newest one"),
        request=EmptySerializer,
        responses={201: s.PlaybookVersionDetailSerializer, **TRANSITION_ERRORS},
    ),
    activate=extend_schema(
        summary=_("Activate the playbook on an incident: its steps become the incident's tasks"),
        description=_("Activating twice creates nothing and answers 200 with the existing tasks."),
        request=s.ActivateSerializer,
        responses={201: TaskSerializer(many=True), 200: TaskSerializer(many=True), **TRANSITION_ERRORS},
    ),
)
class PlaybookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Playbooks per scenario; content lives in reviewed versions, the active one is used on activation."""

    queryset = Playbook.objects.select_related("owner", "active_version")
    serializer_class = s.PlaybookSerializer
    filterset_class = PlaybookFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer_classes = {
        "create": s.PlaybookCreateSerializer,
        "partial_update": s.PlaybookUpdateSerializer,
        "new_version": EmptySerializer,
        "activate": s.ActivateSerializer,
    }

    def create(self, request, *args, **kwargs):
        data = dict(self.validated_input())
        data["steps"] = [dict(step) for step in data["steps"]]
        playbook = services.playbook_create(actor=request.user, ip_address=client_ip(request), **data)
        return self.read_response(self.get_queryset().get(pk=playbook.pk), status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        playbook = self.get_object()
        services.playbook_update(actor=request.user, playbook=playbook, **self.validated_input())
        return self.read_response(self.get_queryset().get(pk=playbook.pk))

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def versions(self, request, pk=None):
        versions = self.get_object().versions.select_related("current_revision", "created_by").order_by("-number")
        return Response(s.PlaybookVersionSerializer(versions, many=True, context=self.get_serializer_context()).data)

    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        version = services.playbook_version_create(
            actor=request.user, playbook=self.get_object(), ip_address=client_ip(request)
        )
        return Response(
            s.PlaybookVersionDetailSerializer(version, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    # Not paginated: the answer is every task of the activation (the schema must not say "a page").
    @action(detail=True, methods=["post"], pagination_class=None)
    def activate(self, request, pk=None):
        playbook = self.get_object()
        incident = self.validated_input()["incident"]
        activation, created = task_services.playbook_activate(actor=request.user, incident=incident, playbook=playbook)
        tasks = activation.tasks.select_related("incident", "role", "assignee", "completed_by").order_by("position")
        return Response(
            TaskSerializer(tasks, many=True, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema_view(
    list=extend_schema(summary=_("List playbook versions")),
    retrieve=extend_schema(summary=_("One version: content, steps, key messages, review")),
    partial_update=extend_schema(
        summary=_("Edit a draft or in-review version (a new revision; back to draft)"),
        request=s.VersionUpdateSerializer,
        responses={200: s.PlaybookVersionDetailSerializer, **TRANSITION_ERRORS},
    ),
    **version_review_schemas(),
)
class PlaybookVersionViewSet(ReviewActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Playbook versions through the review engine: a team lead who did not write it approves; that makes it active."""

    queryset = PlaybookVersion.objects.select_related("playbook", "current_revision", "created_by")
    serializer_class = s.PlaybookVersionSerializer
    visible_through = "playbook"
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer_classes = {**REVIEW_INPUT_SERIALIZERS, "partial_update": s.VersionUpdateSerializer}
    withdraw = None  # versions are never withdrawn

    def get_queryset(self):
        queryset = super().get_queryset().order_by("playbook_id", "-number")
        if self.action != "list":
            queryset = queryset.prefetch_related("steps__role", "key_messages")
        return queryset

    def get_read_serializer_class(self):
        return s.PlaybookVersionSerializer if self.action == "list" else s.PlaybookVersionDetailSerializer

    def partial_update(self, request, *args, **kwargs):
        data = dict(self.validated_input())
        if "steps" in data:
            data["steps"] = [dict(step) for step in data["steps"]]
        services.playbook_version_update(
            actor=request.user, version=self.get_object(), ip_address=self.ip_address(), **data
        )
        return self.item_response()


# --- tasks -------------------------------------------------------------------------------------------------


# --- roster ------------------------------------------------------------------------------------------------


# --- exercises ---------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("List exercises (drills)")),
    retrieve=extend_schema(summary=_("One exercise")),
    create=extend_schema(
        summary=_("Schedule an exercise of a playbook"),
        request=s.ExerciseCreateSerializer,
        responses={201: s.ExerciseSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Record participants, findings and follow-up actions, or move the date"),
        request=s.ExerciseUpdateSerializer,
        responses={200: s.ExerciseSerializer, **TRANSITION_ERRORS},
    ),
    complete=extend_schema(
        summary=_("Mark the exercise completed (it happened)"),
        request=EmptySerializer,
        responses={200: s.ExerciseSerializer, **TRANSITION_ERRORS},
    ),
    cancel=extend_schema(
        summary=_("Cancel the exercise"),
        request=EmptySerializer,
        responses={200: s.ExerciseSerializer, **TRANSITION_ERRORS},
    ),
    run=extend_schema(
        summary=_("Run the exercise: open an exercise incident with the playbook activated"),
        description=_("The incident works like any other, but nothing reaches the newsroom, webhooks or metrics."),
        request=EmptySerializer,
        responses={200: s.ExerciseSerializer, **TRANSITION_ERRORS},
    ),
)
class ExerciseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Drills on playbooks; ``run`` opens the exercise incident, ``complete`` / ``cancel`` close the drill."""

    queryset = Exercise.objects.select_related("playbook", "incident", "created_by").prefetch_related("participants")
    serializer_class = s.ExerciseSerializer
    filterset_class = ExerciseFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer_classes = {
        "create": s.ExerciseCreateSerializer,
        "partial_update": s.ExerciseUpdateSerializer,
        "complete": EmptySerializer,
        "cancel": EmptySerializer,
        "run": EmptySerializer,
    }

    def get_queryset(self):
        visible = Incident.objects.visible_to(self.request.user).filter(pk=OuterRef("incident_id"))
        return super().get_queryset().annotate(incident_visible=Exists(visible))

    def create(self, request, *args, **kwargs):
        exercise = services.exercise_schedule(actor=request.user, **self.validated_input())
        return self.read_response(self.get_queryset().get(pk=exercise.pk), status_code=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        self.validated_input()
        exercise = self.get_object()
        services.exercise_run(actor=request.user, exercise=exercise)
        return self.read_response(self.get_queryset().get(pk=exercise.pk))

    def partial_update(self, request, *args, **kwargs):
        exercise = services.exercise_update(actor=request.user, exercise=self.get_object(), **self.validated_input())
        return self.read_response(self.get_queryset().get(pk=exercise.pk))

    def change_status(self, to_status):
        self.validated_input()
        exercise = services.exercise_change_status(
            actor=self.request.user, exercise=self.get_object(), to_status=to_status
        )
        return self.read_response(self.get_queryset().get(pk=exercise.pk))

    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self.change_status(ExerciseStatus.COMPLETED)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self.change_status(ExerciseStatus.CANCELLED)
