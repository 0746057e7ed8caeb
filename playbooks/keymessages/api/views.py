"""REST API views for key messages: drafting, editing and the review workflow (withdraw retires one)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status

from crisisdesk.api.viewsets import VisibleModelViewSet
from crisisdesk.review.api import (
    REVIEW_INPUT_SERIALIZERS,
    TRANSITION_ERRORS,
    ReviewActionsMixin,
    review_action_schemas,
)
from playbooks.keymessages import services
from playbooks.keymessages.api import serializers as s
from playbooks.keymessages.filtersets import KeyMessageFilterSet
from playbooks.keymessages.models import KeyMessage


@extend_schema_view(
    list=extend_schema(summary=_("List key messages")),
    retrieve=extend_schema(summary=_("One key message, with its approvals and the actions you may take")),
    create=extend_schema(
        summary=_("Draft a key message"),
        request=s.KeyMessageCreateSerializer,
        responses={201: s.KeyMessageDetailSerializer, **TRANSITION_ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Edit a key message (a new revision; its approval is void)"),
        description=_("The status is refused here: each move has its own action."),
        request=s.KeyMessageUpdateSerializer,
        responses={200: s.KeyMessageDetailSerializer, **TRANSITION_ERRORS},
    ),
    **review_action_schemas(s.KeyMessageDetailSerializer, withdraw_summary=_("Retire the key message, with a reason")),
)
class KeyMessageViewSet(ReviewActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Key messages (holding statements, lines to take, Q&A); approved is their live state, withdraw retires them."""

    queryset = KeyMessage.objects.select_related("created_by", "current_revision")
    serializer_class = s.KeyMessageSerializer
    filterset_class = KeyMessageFilterSet
    ordering = ("-created_at", "-id")
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer_classes = {
        **REVIEW_INPUT_SERIALIZERS,
        "create": s.KeyMessageCreateSerializer,
        "partial_update": s.KeyMessageUpdateSerializer,
    }

    def get_queryset(self):
        queryset = super().get_queryset()  # KeyMessage.objects.visible_to(user), through the base class
        if self.action != "list":
            queryset = queryset.select_related("withdrawn_by")
        return queryset

    def get_read_serializer_class(self):
        return s.KeyMessageSerializer if self.action == "list" else s.KeyMessageDetailSerializer

    def create(self, request, *args, **kwargs):
        key_message = services.keymessage_create(
            actor=request.user, ip_address=self.ip_address(), **self.validated_input()
        )
        return self.read_response(self.get_queryset().get(pk=key_message.pk), status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        services.keymessage_update(
            actor=request.user, key_message=self.get_object(), ip_address=self.ip_address(), **self.validated_input()
        )
        return self.item_response()
