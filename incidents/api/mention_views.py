"""The mentions API: idempotent ingest (single and bulk), the inbox as a list, triage.

Integration API keys need the ``ingest`` scope to post mentions, ``read`` to list them and
``write`` to triage. A bulk request is all or nothing: when any item is malformed the whole
batch is refused with a 400 listing every bad item (index, field, message) and nothing is
stored, so an integration fixes its payload and resends the same batch — ingest is idempotent,
so resending what was already stored is harmless.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from crisisdesk.api.viewsets import VisibleModelViewSet
from incidents import mention_services as services
from incidents.mention_filtersets import MentionFilterSet
from incidents.models import Incident, Mention

from . import mention_serializers as s

INGEST_RESPONSES = {
    400: OpenApiResponse(description=_("Malformed items: ``errors`` lists index, field and message of each.")),
    403: OpenApiResponse(description=_("The key lacks the ingest scope, or the user may not add mentions.")),
}


def _item_errors_response(errors: list[dict]) -> Response:
    return Response({"detail": _("Malformed mentions; nothing was stored."), "errors": errors}, status=400)


@extend_schema_view(
    list=extend_schema(summary=_("The mention inbox (filterable)")),
    retrieve=extend_schema(summary=_("One mention")),
    create=extend_schema(
        summary=_("Ingest one mention (idempotent on platform + external id)"),
        request=s.MentionInputSerializer,
        responses={200: s.MentionSerializer, **INGEST_RESPONSES},
    ),
)
class MentionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Mentions of the watch terms, from every monitoring source."""

    queryset = Mention.objects.select_related("incident").prefetch_related("term_matches__watch_term")
    serializer_class = s.MentionSerializer
    filterset_class = MentionFilterSet
    ordering = ("-posted_at", "-id")
    http_method_names = ["get", "post", "head", "options"]
    required_scopes = {"list": "read", "retrieve": "read", "create": "ingest", "bulk": "ingest", "triage": "write"}
    input_serializer_classes = {"triage": s.TriageInputSerializer}

    def _require_ingest(self):
        if not services.can_ingest(self.request.user):
            raise PermissionDenied(_("You may not add mentions."))

    def create(self, request):
        self._require_ingest()
        mentions, errors = services.parse_batch([request.data] if isinstance(request.data, dict) else request.data)
        if errors:
            return _item_errors_response(errors)
        result = services.mentions_ingest(mentions=mentions, source="api")
        mention = self.get_queryset().get(pk=result.mentions[0].pk)
        return self.read_response(mention)

    @extend_schema(
        summary=_("Ingest up to 1,000 mentions (idempotent; all or nothing)"),
        request=s.BulkInputSerializer,
        responses={200: OpenApiResponse(description=_("``{stored: n}``")), **INGEST_RESPONSES},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        self._require_ingest()
        items = request.data.get("mentions") if isinstance(request.data, dict) else request.data
        mentions, errors = services.parse_batch(items)
        if errors:
            return _item_errors_response(errors)
        result = services.mentions_ingest(mentions=mentions, source="api")
        return Response({"stored": result.stored}, status=status.HTTP_200_OK)

    @extend_schema(summary=_("Triage mentions: set a status and/or link an incident"), request=s.TriageInputSerializer)
    @action(detail=False, methods=["post"])
    def triage(self, request):
        data = self.validated_input()
        mentions = list(self.get_queryset().filter(pk__in=data["ids"]))
        changed = 0
        if data.get("incident"):
            incident = get_object_or_404(Incident.objects.visible_to(request.user), reference=data["incident"])
            changed = services.mentions_link_incident(actor=request.user, mentions=mentions, incident=incident)
        if data.get("status"):
            changed = services.mentions_set_status(actor=request.user, mentions=mentions, status=data["status"])
        return Response({"changed": changed})
