"""REST API views for statements: drafting, editing, the review workflow, publishing and live URLs.

Thin by design: each action validates a small input serializer and calls the
statement or review service; the queryset is ``Statement.objects.visible_to``,
so a confidential incident's statement is a 404 to non-members. Service errors
become 400/403/409 in ``crisisdesk.api.exceptions``.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from crisisdesk.api.viewsets import VisibleModelViewSet
from crisisdesk.review import services as review
from crisisdesk.review.api import (
    REVIEW_INPUT_SERIALIZERS,
    STEP_UP_TRANSITION_ERRORS,
    TRANSITION_ERRORS,
    ReviewActionsMixin,
    review_action_schemas,
)
from incidents.statements import services as statement_services
from incidents.statements.api import serializers as s
from incidents.statements.filtersets import StatementFilterSet
from incidents.statements.models import Statement, StatementPublication


@extend_schema_view(
    list=extend_schema(summary=_("List the statements you may see")),
    retrieve=extend_schema(
        summary=_("One statement: safe HTML, copy text per channel, approvals and the actions you may take")
    ),
    create=extend_schema(
        summary=_("Draft a statement, from scratch or from an approved key message"),
        request=s.StatementCreateSerializer,
        responses={201: s.StatementDetailSerializer, **TRANSITION_ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Edit a statement (a new revision; any approval is void)"),
        description=_("The status is refused here: each move has its own action."),
        request=s.StatementUpdateSerializer,
        responses={200: s.StatementDetailSerializer, **TRANSITION_ERRORS},
    ),
    **review_action_schemas(s.StatementDetailSerializer, withdraw_summary=_("Withdraw the statement, with a reason")),
)
class StatementViewSet(ReviewActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Statements of the incidents you may see; every status change is a POST action."""

    # refuted_fact_count: ``cites_refuted_fact`` without a query per row.
    queryset = Statement.objects.select_related("incident", "created_by", "current_revision").with_refuted_fact_count()
    serializer_class = s.StatementSerializer
    filterset_class = StatementFilterSet
    ordering = ("-created_at", "-id")
    # No PUT (a full replace would refuse most fields) and no DELETE (statements are records).
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer_classes = {
        **REVIEW_INPUT_SERIALIZERS,
        "create": s.StatementCreateSerializer,
        "partial_update": s.StatementUpdateSerializer,
        "publish": s.PublishSerializer,
        "urls": s.RecordUrlSerializer,
    }

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            return queryset
        return queryset.select_related("published_revision", "published_by", "withdrawn_by").prefetch_related(
            "facts",
            Prefetch("publications", queryset=StatementPublication.objects.select_related("recorded_by")),
        )

    def get_read_serializer_class(self):
        # The list stays lean: approvals and available actions cost queries per row.
        return s.StatementSerializer if self.action == "list" else s.StatementDetailSerializer

    def create(self, request, *args, **kwargs):
        statement = statement_services.statement_create(
            actor=request.user, ip_address=self.ip_address(), **self.validated_input()
        )
        return self.read_response(self.get_queryset().get(pk=statement.pk), status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        statement_services.statement_update(
            actor=request.user, statement=self.get_object(), ip_address=self.ip_address(), **self.validated_input()
        )
        return self.item_response()

    @extend_schema(
        summary=_("Publish the approved statement"),
        description=_("Refused with 409 unless every approval the policy requires matches the current revision."),
        request=s.PublishSerializer,
        responses={200: s.StatementDetailSerializer, **STEP_UP_TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        data = self.validated_input()
        statement = self.get_object()
        factor = self.step_up()
        review.review_publish(
            actor=request.user,
            item=statement,
            revision=self.revision_numbered(statement, data.get("revision")),
            comment=data["comment"],
            ip_address=self.ip_address(),
            factor=factor,
        )
        return self.item_response()

    @extend_schema(
        summary=_("Record where the published statement went live on a channel"),
        request=s.RecordUrlSerializer,
        responses={201: s.StatementPublicationSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def urls(self, request, pk=None):
        publication = statement_services.statement_record_url(
            actor=request.user, statement=self.get_object(), ip_address=self.ip_address(), **self.validated_input()
        )
        return self.read_response(
            publication, serializer_class=s.StatementPublicationSerializer, status_code=status.HTTP_201_CREATED
        )
