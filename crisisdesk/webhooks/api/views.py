"""REST API for webhook subscriptions and deliveries (team leads; 403 for everyone else).

Thin: input serializers check shapes, ``crisisdesk.webhooks.services`` does the
rest, and its errors become 400/403/409 in ``crisisdesk.api.exceptions``. A
delivery of a confidential incident the user may not see answers 404.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status
from rest_framework.decorators import action

from crisisdesk.api.viewsets import VisibleModelViewSet
from crisisdesk.webhooks import permissions as webhook_permissions
from crisisdesk.webhooks import services
from crisisdesk.webhooks.filtersets import DeliveryFilterSet
from crisisdesk.webhooks.models import Delivery, Subscription

from . import serializers as s

ERRORS = {
    400: OpenApiResponse(description=_("Invalid input; the body maps each field to its messages.")),
    403: OpenApiResponse(description=_("Only team leads manage webhooks.")),
    404: OpenApiResponse(description=_("No such object, or you may not see it.")),
}


class WebhookPermission(permissions.IsAuthenticated):
    """Every endpoint, list or detail, needs the viewset's permission: webhooks are team leads' business (403)."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.has_perm(view.get_collection_permission())


@extend_schema_view(
    list=extend_schema(summary=_("List webhook subscriptions")),
    retrieve=extend_schema(summary=_("One webhook subscription (without its secret)")),
    create=extend_schema(
        summary=_("Subscribe an endpoint (the answer carries the signing secret)"),
        request=s.SubscriptionCreateSerializer,
        responses={201: s.SubscriptionSecretSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Change a subscription (is_active=false deactivates it)"),
        request=s.SubscriptionUpdateSerializer,
        responses={200: s.SubscriptionSerializer, **ERRORS},
    ),
)
class SubscriptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, VisibleModelViewSet
):
    """Webhook subscriptions. No DELETE: deactivate one instead, so its delivery log stays."""

    queryset = Subscription.objects.select_related("created_by")
    serializer_class = s.SubscriptionSerializer
    permission_classes = [WebhookPermission]
    ordering = ("name", "id")
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer_classes = {
        "create": s.SubscriptionCreateSerializer,
        "partial_update": s.SubscriptionUpdateSerializer,
    }

    def create(self, request, *args, **kwargs):
        subscription = services.subscription_create(actor=request.user, **self.validated_input())
        return self.read_response(
            subscription, serializer_class=s.SubscriptionSecretSerializer, status_code=status.HTTP_201_CREATED
        )

    def partial_update(self, request, *args, **kwargs):
        subscription = services.subscription_update(
            actor=request.user, subscription=self.get_object(), **self.validated_input()
        )
        return self.read_response(subscription)

    @extend_schema(
        summary=_("Reveal the signing secret"), request=None, responses={200: s.SubscriptionSecretSerializer, **ERRORS}
    )
    @action(detail=True, methods=["get"])
    def secret(self, request, pk=None):
        subscription = self.get_object()
        if not webhook_permissions.can_manage(request.user, subscription):
            raise PermissionDenied(_("You may not change this webhook subscription."))
        response = self.read_response(subscription, serializer_class=s.SubscriptionSecretSerializer)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary=_("Replace the signing secret (the old one stops verifying at once)"),
        request=None,
        responses={200: s.SubscriptionSecretSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        subscription = services.subscription_rotate_secret(actor=request.user, subscription=self.get_object())
        response = self.read_response(subscription, serializer_class=s.SubscriptionSecretSerializer)
        response["Cache-Control"] = "no-store"
        return response


@extend_schema_view(
    list=extend_schema(summary=_("List webhook deliveries (filter by status, subscription, event type, event)")),
    retrieve=extend_schema(summary=_("One delivery with its event and every attempt")),
)
class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """The delivery log; ``redeliver`` sends a dead or failing delivery again."""

    queryset = Delivery.objects.select_related("event", "event__incident", "subscription")
    serializer_class = s.DeliverySerializer
    permission_classes = [WebhookPermission]
    filterset_class = DeliveryFilterSet
    ordering = ("-created_at", "-id")
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related("attempt_log")
        return queryset

    def get_read_serializer_class(self):
        return s.DeliverySerializer if self.action == "list" else s.DeliveryDetailSerializer

    @extend_schema(
        summary=_("Send a dead or failing delivery again, with a fresh retry budget"),
        request=None,
        responses={
            200: s.DeliveryDetailSerializer,
            **ERRORS,
            409: OpenApiResponse(description=_("Already delivered or pending, or the subscription is inactive.")),
        },
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = services.delivery_redeliver(actor=request.user, delivery=self.get_object())
        return self.read_response(self.get_queryset().get(pk=delivery.pk))
