"""The response API: targets per severity (everyone with a role reads, team leads change) and an incident's clocks.

Same service as the browser's ``/response-targets/`` page (``response_target_update``) and the
same computation as the war room's clocks (``response_board``).
"""

from types import SimpleNamespace

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins

from crisisdesk.api.viewsets import VisibleModelViewSet
from incidents.models import Incident
from incidents.response import clocks
from incidents.response import services as response
from incidents.response.api import serializers as s
from incidents.response.models import ResponseTarget

ERRORS = {
    400: OpenApiResponse(description=_("Invalid input: the body maps each field to its messages.")),
    403: OpenApiResponse(description=_("Only team leads change response targets, or the key lacks the write scope.")),
    404: OpenApiResponse(description=_("No such severity, or you may not read the targets.")),
}


@extend_schema_view(
    list=extend_schema(summary=_("The response targets, one per severity")),
    retrieve=extend_schema(summary=_("The response targets of one severity (1–4)")),
    partial_update=extend_schema(
        summary=_("Change one severity's targets (team leads); running clocks follow at once"),
        description=_("Fields not sent keep their value; null ends the update cadence (or its window)."),
        request=s.ResponseTargetUpdateSerializer,
        responses={200: s.ResponseTargetSerializer, **ERRORS},
    ),
)
class ResponseTargetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """How fast the crisis team must react, per severity; four rows, changed and never created or deleted."""

    queryset = ResponseTarget.objects.select_related("updated_by").order_by("severity")
    serializer_class = s.ResponseTargetSerializer
    lookup_field = "severity"
    lookup_value_regex = "[0-9]+"
    filter_backends = []
    pagination_class = None
    http_method_names = ["get", "patch", "head", "options"]
    required_scopes = {"list": "read", "retrieve": "read", "partial_update": "write"}
    input_serializer_classes = {"partial_update": s.ResponseTargetUpdateSerializer}

    def get_queryset(self):
        # No confidentiality: the read permission decides (404 on a detail without it).
        if not self.request.user.has_perm("incidents.view_responsetarget"):
            return ResponseTarget.objects.none()
        return self.queryset.all()

    def partial_update(self, request, *args, **kwargs):
        target = self.get_object()
        # Before the input is read: whoever may not edit learns that, not what was wrong with the body.
        if not response.can_edit_targets(request.user):
            raise PermissionDenied(_("You may not change response targets."))
        values = {field: getattr(target, field) for field in s.TARGET_FIELDS}
        values.update(self.validated_input())
        response.response_target_update(actor=request.user, target=target, **values)
        return self.read_response(self.get_queryset().get(pk=target.pk))


@extend_schema_view(
    retrieve=extend_schema(
        summary=_("The response clocks of one incident: targets, due times, due soon, overdue"),
        description=_(
            "What the war room shows: acknowledge, first public response and the next public update, "
            "each against the incident's severity target. No clocks once the incident is no longer active."
        ),
        responses={200: s.ResponseBoardSerializer, 404: ERRORS[404]},
    ),
)
class IncidentClocksViewSet(mixins.RetrieveModelMixin, VisibleModelViewSet):
    """``GET /api/v1/incidents/{reference}/clocks/``: an incident you may not see answers 404, like a missing one."""

    queryset = Incident.objects.all()
    serializer_class = s.ResponseBoardSerializer
    lookup_field = "reference"
    filter_backends = []
    required_scopes = {"retrieve": "read"}

    def retrieve(self, request, *args, **kwargs):
        incident = self.get_object()
        board = clocks.response_board(incident)
        return self.read_response(SimpleNamespace(incident=incident, board=board))
