"""REST API for chat destinations (``/api/v1/notification-destinations/``) and their deliveries (team leads).

Thin: input serializers check shapes, ``crisisdesk.chat.services`` does the rest, and
its errors become 400/403/409 in ``crisisdesk.api.exceptions``. Everyone without the
``chat`` permissions gets 403; a delivery of a confidential incident the user may
not see answers 404.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from crisisdesk.api.viewsets import VisibleModelViewSet
from crisisdesk.chat import services
from crisisdesk.chat.filtersets import ChatDeliveryFilterSet
from crisisdesk.chat.models import ChatDelivery, Destination
from crisisdesk.webhooks.api.views import WebhookPermission

from . import serializers as s

ERRORS = {
    400: OpenApiResponse(description=_("Invalid input; the body maps each field to its messages.")),
    403: OpenApiResponse(description=_("Only team leads manage chat destinations.")),
    404: OpenApiResponse(description=_("No such object, or you may not see it.")),
}


@extend_schema_view(
    list=extend_schema(summary=_("List chat destinations (URLs masked)")),
    retrieve=extend_schema(summary=_("One chat destination (URL masked)")),
    create=extend_schema(
        summary=_("Add a chat destination (Apprise URL, validated, stored encrypted)"),
        request=s.DestinationCreateSerializer,
        responses={201: s.DestinationSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Change a chat destination (url replaces the stored one)"),
        request=s.DestinationUpdateSerializer,
        responses={200: s.DestinationSerializer, **ERRORS},
    ),
    destroy=extend_schema(summary=_("Delete a chat destination and its delivery log"), responses={204: None, **ERRORS}),
)
class DestinationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, VisibleModelViewSet
):
    """Chat destinations."""

    queryset = Destination.objects.select_related("created_by")
    serializer_class = s.DestinationSerializer
    permission_classes = [WebhookPermission]
    ordering = ("name", "id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    input_serializer_classes = {
        "create": s.DestinationCreateSerializer,
        "partial_update": s.DestinationUpdateSerializer,
    }

    def create(self, request, *args, **kwargs):
        destination = services.destination_create(actor=request.user, **self.validated_input())
        return self.read_response(destination, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        destination = services.destination_update(
            actor=request.user, destination=self.get_object(), **self.validated_input()
        )
        return self.read_response(destination)

    def destroy(self, request, *args, **kwargs):
        services.destination_delete(actor=request.user, destination=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary=_("Send a test message now (answers the delivery, delivered or scheduled for retry)"),
        request=None,
        responses={202: s.ChatDeliveryDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        delivery = services.destination_test(actor=request.user, destination=self.get_object())
        return self.read_response(
            ChatDelivery.objects.prefetch_related("attempt_log").get(pk=delivery.pk),
            serializer_class=s.ChatDeliveryDetailSerializer,
            status_code=status.HTTP_202_ACCEPTED,
        )


@extend_schema_view(
    list=extend_schema(summary=_("List chat deliveries (filter by destination, status, event type)")),
    retrieve=extend_schema(summary=_("One chat delivery with every attempt")),
)
class ChatDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """The chat delivery log, read-only."""

    queryset = ChatDelivery.objects.select_related("incident")
    serializer_class = s.ChatDeliverySerializer
    permission_classes = [WebhookPermission]
    filterset_class = ChatDeliveryFilterSet
    ordering = ("-created_at", "-id")
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related("attempt_log")
        return queryset

    def get_read_serializer_class(self):
        return s.ChatDeliverySerializer if self.action == "list" else s.ChatDeliveryDetailSerializer

    @extend_schema(
        summary=_("Send a dead or failing chat delivery again, with a fresh retry budget"),
        request=None,
        responses={
            200: s.ChatDeliveryDetailSerializer,
            **ERRORS,
            409: OpenApiResponse(description=_("Already delivered or pending, or the destination is inactive.")),
        },
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = services.chat_delivery_redeliver(actor=request.user, delivery=self.get_object())
        return self.read_response(self.get_queryset().get(pk=delivery.pk))
