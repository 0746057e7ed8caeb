"""REST API of post-crisis reviews, action items and crisis metrics.

Thin: each action validates a small input serializer and calls ``postmortems.services`` or
the review engine; querysets are ``visible_to`` the user, so a confidential incident's
review is a 404 to non-members. Service errors become 400/403/409.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, views
from rest_framework.decorators import action
from rest_framework.response import Response

from crisisdesk.api.viewsets import VisibleModelViewSet
from crisisdesk.review import services as review
from crisisdesk.review.api import (
    REVIEW_INPUT_SERIALIZERS,
    STEP_UP_TRANSITION_ERRORS,
    TRANSITION_ERRORS,
    ReviewActionsMixin,
    review_action_schemas,
)
from postmortems import metrics, selectors, services
from postmortems.api import serializers as s
from postmortems.filtersets import ActionItemFilterSet, PostmortemFilterSet
from postmortems.models import ActionItem, PostmortemReview


@extend_schema_view(
    list=extend_schema(summary=_("Post-crisis reviews you may see; ?q= searches published ones (the library)")),
    retrieve=extend_schema(summary=_("One review with its metrics, timeline, statements and action items")),
    partial_update=extend_schema(
        summary=_("Edit the sections (a new revision; any approval is void)"),
        request=s.SectionsUpdateSerializer,
        responses={200: s.PostmortemDetailSerializer, **TRANSITION_ERRORS},
    ),
    **review_action_schemas(s.PostmortemDetailSerializer, withdraw_summary=_("Withdraw the published review")),
)
class PostmortemViewSet(ReviewActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Post-crisis reviews; drafted when an incident is resolved, never created or deleted here."""

    queryset = PostmortemReview.objects.select_related("incident", "created_by", "current_revision")
    serializer_class = s.PostmortemSerializer
    filterset_class = PostmortemFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer_classes = {
        **REVIEW_INPUT_SERIALIZERS,
        "partial_update": s.SectionsUpdateSerializer,
        "sections": s.SectionsUpdateSerializer,
        "publish": s.PostmortemPublishSerializer,
    }

    def get_queryset(self):
        queryset = super().get_queryset()
        text = self.request.query_params.get("q", "") if self.action == "list" else ""
        if text:
            # The library: published reviews only, best match first (full text on PostgreSQL).
            return (
                selectors.library(self.request.user, text=text)
                .filter(pk__in=queryset.values("pk"))
                .select_related("created_by", "current_revision")
            )
        return queryset.order_by("-created_at", "-id")

    def get_read_serializer_class(self):
        return s.PostmortemSerializer if self.action == "list" else s.PostmortemDetailSerializer

    def partial_update(self, request, *args, **kwargs):
        data = dict(self.validated_input())
        comment = data.pop("comment", "")
        services.postmortem_update(
            actor=request.user, review_item=self.get_object(), comment=comment, ip_address=self.ip_address(), **data
        )
        return self.item_response()

    @extend_schema(
        summary=_("The sections alone (GET), or edit them (PATCH)"),
        request=s.SectionsUpdateSerializer,
        responses={200: s.SectionsSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["get", "patch"], filter_backends=[], pagination_class=None)
    def sections(self, request, pk=None):
        item = self.get_object()
        if request.method == "PATCH":
            data = dict(self.validated_input())
            comment = data.pop("comment", "")
            item = services.postmortem_update(
                actor=request.user, review_item=item, comment=comment, ip_address=self.ip_address(), **data
            )
        return Response(s.SectionsSerializer(item).data)

    @extend_schema(
        summary=_("Publish the approved review to the lessons library"),
        request=s.PostmortemPublishSerializer,
        responses={200: s.PostmortemDetailSerializer, **STEP_UP_TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        data = self.validated_input()
        item = self.get_object()
        factor = self.step_up()
        review.review_publish(
            actor=request.user,
            item=item,
            revision=self.revision_numbered(item, data.get("revision")),
            comment=data["comment"],
            ip_address=self.ip_address(),
            factor=factor,
        )
        return self.item_response()


@extend_schema_view(
    list=extend_schema(summary=_("Action items of the reviews you may see (?mine=true, ?overdue=true)")),
    retrieve=extend_schema(summary=_("One action item")),
    create=extend_schema(
        summary=_("Add an action item to a review"),
        request=s.ActionItemCreateSerializer,
        responses={201: s.ActionItemSerializer, **TRANSITION_ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Edit an action item"),
        request=s.ActionItemUpdateSerializer,
        responses={200: s.ActionItemSerializer, **TRANSITION_ERRORS},
    ),
)
class ActionItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Action items; their status moves with the ``status`` action."""

    queryset = ActionItem.objects.select_related("review__incident", "owner")
    serializer_class = s.ActionItemSerializer
    filterset_class = ActionItemFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer_classes = {
        "create": s.ActionItemCreateSerializer,
        "partial_update": s.ActionItemUpdateSerializer,
        "status": s.ActionItemStatusSerializer,
    }

    def get_queryset(self):
        return super().get_queryset().order_by("due_date", "priority", "id")

    def create(self, request, *args, **kwargs):
        data = dict(self.validated_input())
        item = services.action_item_create(actor=request.user, review_item=data.pop("review"), **data)
        return self.read_response(self.get_queryset().get(pk=item.pk), status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        services.action_item_update(actor=request.user, action_item=self.get_object(), **self.validated_input())
        return self.read_response(self.get_object())

    @extend_schema(
        summary=_("Move the action item to another status (its owner or a team lead)"),
        request=s.ActionItemStatusSerializer,
        responses={200: s.ActionItemSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        data = self.validated_input()
        services.action_item_set_status(actor=request.user, action_item=self.get_object(), status=data["status"])
        return self.read_response(self.get_object())


class MetricsView(views.APIView):
    """Median and p90 of time to acknowledge, to first public response, to resolve and in legal review (seconds)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary=_("Crisis metrics by severity and by month (exercises excluded)"), responses={200: dict})
    def get(self, request):
        year = request.query_params.get("year", "")
        data = metrics.dashboard(request.user, year=int(year) if year.isdigit() else None)
        return Response(metrics.dashboard_json(data))
