"""The sources API: team leads create and change sources; every reader of the inbox sees their health."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from crisisdesk.api.viewsets import VisibleModelViewSet
from incidents.listening.sources import polling, services
from incidents.listening.sources.api import serializers as s
from incidents.listening.sources.models import Source

SCOPES = {"list": "read", "retrieve": "read", "create": "write", "partial_update": "write", "fetch": "write"}


@extend_schema_view(
    list=extend_schema(summary=_("List the listening sources with their health")),
    retrieve=extend_schema(summary=_("One source with its health")),
    create=extend_schema(summary=_("Add a source (team leads)"), request=s.SourceInputSerializer),
    partial_update=extend_schema(summary=_("Change or pause a source (team leads)"), request=s.SourceUpdateSerializer),
)
class SourceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Sources the desk listens to: kind, configuration, write-only credentials, watch terms, health."""

    queryset = Source.objects.prefetch_related("watch_terms")
    serializer_class = s.SourceSerializer
    ordering = ("name", "id")
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_scopes = SCOPES
    input_serializer_classes = {"create": s.SourceInputSerializer, "partial_update": s.SourceUpdateSerializer}

    def get_queryset(self):
        return super().get_queryset().with_fetched()

    def _require_manage(self):
        if not services.can_manage_sources(self.request.user):
            raise PermissionDenied(_("Only team leads manage sources."))

    def _save(self, source=None):
        data = dict(self.validated_input())
        credentials = data.pop("credentials", None)
        watch_terms = data.pop("watch_terms", None)
        return services.source_save(
            actor=self.request.user, source=source, data=data, credentials=credentials, watch_terms=watch_terms
        )

    def create(self, request, *args, **kwargs):
        self._require_manage()
        source = self._save()
        return self.read_response(source, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        source = self.get_object()
        self._require_manage()
        return self.read_response(self._save(source))

    @extend_schema(summary=_("Fetch now: poll this source at once, even in back-off (team leads)"), request=None)
    @action(detail=True, methods=["post"])
    def fetch(self, request, pk=None):
        source = self.get_object()
        self._require_manage()
        polling.source_poll(source=source, force=True)
        return self.read_response(Source.objects.get(pk=source.pk))
