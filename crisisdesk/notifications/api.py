"""``/api/v1/notifications/``: the requesting user's own notifications; mark one or all read.

Filter ``unread=true`` for the bell. Another person's notification answers 404, like a missing one.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from crisisdesk.api.serializers import StrictInputMixin
from crisisdesk.filters import StrictFilterSet

from . import services
from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(read_only=True)
    text = serializers.CharField(source="display_text", read_only=True)
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_label", "text", "url", "incident", "created_at", "read_at", "is_read"]
        read_only_fields = fields


class EmptyInputSerializer(StrictInputMixin, serializers.Serializer):
    """No body (or ``{}``): any field sent is refused."""


class NotificationFilterSet(StrictFilterSet):
    unread = django_filters.BooleanFilter(label=_("Unread only"), field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["unread"]


@extend_schema_view(
    list=extend_schema(summary=_("Your notifications, newest first")),
    retrieve=extend_schema(summary=_("One of your notifications")),
    read=extend_schema(
        summary=_("Mark one of your notifications read"), request=EmptyInputSerializer, responses=NotificationSerializer
    ),
    read_all=extend_schema(
        summary=_("Mark all your notifications read"),
        request=EmptyInputSerializer,
        responses=inline_serializer("NotificationsReadAll", {"marked": serializers.IntegerField()}),
    ),
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = NotificationFilterSet
    ordering = ("-created_at", "-id")

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    def get_serializer_class(self):
        if self.action in ("read", "read_all") and self.request.method == "POST":
            return EmptyInputSerializer
        return NotificationSerializer

    def _validate_empty(self):
        EmptyInputSerializer(data=self.request.data).is_valid(raise_exception=True)

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        self._validate_empty()
        notification = services.notification_mark_read(actor=request.user, notification=notification)
        return Response(NotificationSerializer(notification, context=self.get_serializer_context()).data)

    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        self._validate_empty()
        return Response({"marked": services.notifications_mark_all_read(actor=request.user)})


router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")
urlpatterns = router.urls
