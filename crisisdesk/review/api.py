"""REST API of the review engine, shared by every reviewable type.

- Serializers of revisions, review decisions, audit events and queue entries.
- ``ReviewActionsMixin``: the POST actions every reviewable viewset offers (submit,
  approve, request-changes, reject, withdraw) and its read-only ``revisions/`` and
  ``audit/`` lists. Each action validates a small input serializer, calls the
  engine service, and answers with the item's read representation; the engine's
  errors become 400/403/409 in ``crisisdesk.api.exceptions``.
- ``reviews/`` (decisions the user may see) and ``review-queue/`` (what waits for
  the user's decision, oldest first), mounted at /api/v1/ from ``urlpatterns``.
"""

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from crisisdesk.api.serializers import StrictInputMixin, UserBriefSerializer, enum_field
from crisisdesk.api.viewsets import VisibleModelViewSet
from crisisdesk.filters import StrictFilterSet
from crisisdesk.twofactor.stepup import require_recent_factor

from . import selectors
from . import services as review
from .models import Action, AuditEvent, Decision, ReviewDecision, ReviewStatus, Revision
from .views import client_ip

ERRORS = {
    400: OpenApiResponse(description=_("Invalid input; the body maps each field to its messages.")),
    403: OpenApiResponse(description=_("You may not do this.")),
    404: OpenApiResponse(description=_("No such item, or you may not see it.")),
}
STEP_UP_ERRORS = {
    403: OpenApiResponse(
        description=_(
            "You may not do this; or, with code step_up_required, confirm your second factor first (signed-in"
            " session; a personal token or an integration key is refused, code token_not_allowed, unless a"
            " team lead enabled approvals for it)."
        )
    ),
}
TRANSITION_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(
        description=_("Not allowed from the current state, an approval is missing, or the revision is stale.")
    ),
}
# Approve, publish and withdraw: a recent second factor (crisisdesk.twofactor.stepup).
STEP_UP_TRANSITION_ERRORS = {**TRANSITION_ERRORS, **STEP_UP_ERRORS}


# --- fields --------------------------------------------------------------------------------------


ReviewStatusField = enum_field(
    "ReviewStatusField", ReviewStatus.choices, component="ReviewStatus", doc="A reviewable item's status."
)


ReviewActionField = enum_field(
    "ReviewActionField",
    Action.choices,
    component="ReviewAction",
    doc="A review action, as the audit trail and ``available_actions`` name it.",
)


def item_type(item_or_content_type) -> str:
    """``app_label.model`` of an item or a content type, e.g. ``incidents.statement``."""
    # A ContentType is a model too: ask it first, or every decision would say "contenttypes.contenttype".
    if isinstance(item_or_content_type, ContentType):
        return f"{item_or_content_type.app_label}.{item_or_content_type.model}"
    opts = item_or_content_type._meta
    return f"{opts.app_label}.{opts.model_name}"


def item_api_url(request, model_name: str, pk: int) -> str | None:
    """The API URL of an item; viewsets of reviewable types are registered under their model name."""
    try:
        url = reverse(f"api:{model_name}-detail", kwargs={"pk": pk})
    except NoReverseMatch:
        return None
    return request.build_absolute_uri(url) if request is not None else url


# --- read serializers -------------------------------------------------------------------------------


class RevisionBriefSerializer(serializers.ModelSerializer):
    """Which revision, in a line: the number the reviewer cites and the hash an approval binds to."""

    class Meta:
        model = Revision
        fields = ["id", "number", "content_hash", "created_at"]
        read_only_fields = fields


class RevisionSerializer(serializers.ModelSerializer):
    """An immutable snapshot of an item's reviewable content."""

    created_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = Revision
        fields = ["id", "number", "content", "content_hash", "text_hash", "created_by", "created_at"]
        read_only_fields = fields


class ApprovalSerializer(serializers.ModelSerializer):
    """An approval of the current revision: who gave it, as what, and whether it was inherited."""

    reviewer = UserBriefSerializer(read_only=True)
    inherited = serializers.SerializerMethodField()

    class Meta:
        model = ReviewDecision
        fields = ["id", "reviewer", "role", "comment", "content_hash", "inherited", "created_at"]
        read_only_fields = fields

    def get_inherited(self, decision) -> bool:
        return decision.based_on_id is not None


class ReviewDecisionSerializer(serializers.ModelSerializer):
    """One reviewer's decision on one revision of one item."""

    item_type = serializers.SerializerMethodField()
    item_id = serializers.IntegerField(source="object_id", read_only=True)
    item_url = serializers.SerializerMethodField()
    revision = serializers.IntegerField(source="revision.number", read_only=True)
    reviewer = UserBriefSerializer(read_only=True)

    class Meta:
        model = ReviewDecision
        fields = [
            "id",
            "item_type",
            "item_id",
            "item_url",
            "revision",
            "content_hash",
            "decision",
            "role",
            "comment",
            "reviewer",
            "based_on",
            "created_at",
        ]
        read_only_fields = fields

    def get_item_type(self, decision) -> str:
        return item_type(decision.content_type)

    def get_item_url(self, decision) -> str | None:
        return item_api_url(self.context.get("request"), decision.content_type.model, decision.object_id)


class AuditEventSerializer(serializers.ModelSerializer):
    """One line of an item's append-only audit trail."""

    action = ReviewActionField(read_only=True)
    actor = UserBriefSerializer(read_only=True)
    revision = serializers.IntegerField(source="revision.number", read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "action",
            "from_state",
            "to_state",
            "actor",
            "comment",
            "ip_address",
            "revision",
            "data",
            "created_at",
        ]
        read_only_fields = fields


class ReviewableDetailMixin(serializers.Serializer):
    """Review fields of one item's detail: approvals of the current revision, what is missing, what you may do."""

    approvals = serializers.SerializerMethodField()
    missing_approvals = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()

    @extend_schema_field(ApprovalSerializer(many=True))
    def get_approvals(self, item):
        if item.current_revision is None:
            return []
        decisions = (
            item.decisions()
            .filter(revision=item.current_revision, content_hash=item.current_revision.content_hash)
            .filter(decision=Decision.APPROVE)
            .select_related("reviewer")
        )
        return ApprovalSerializer(decisions, many=True, context=self.context).data

    def get_missing_approvals(self, item) -> list[str]:
        return [requirement.code for requirement in review.missing_requirements(item)]

    @extend_schema_field(serializers.ListField(child=ReviewActionField()))
    def get_available_actions(self, item) -> list[str]:
        return [str(name) for name in review.available_actions(user=self.context["request"].user, item=item)]


class QueueEntrySerializer(serializers.Serializer):
    """An item waiting for your decision, with how long it has waited."""

    item_type = serializers.SerializerMethodField()
    item_id = serializers.IntegerField(source="item.pk")
    item_url = serializers.SerializerMethodField()
    title = serializers.CharField(source="item.title")
    status = ReviewStatusField(source="item.status")
    incident = serializers.SerializerMethodField()
    revision = serializers.IntegerField(source="review_request.revision.number")
    role = serializers.CharField(source="requirement.code", help_text=_("The approval you would give."))
    submitted_by = UserBriefSerializer(source="review_request.submitted_by")
    submitted_at = serializers.DateTimeField()
    waiting_seconds = serializers.SerializerMethodField()

    def get_item_type(self, entry) -> str:
        return entry.item_type

    def get_item_url(self, entry) -> str | None:
        return item_api_url(self.context.get("request"), entry.kind, entry.item.pk)

    def get_incident(self, entry) -> str | None:
        incident = getattr(entry.item, "incident", None)
        return incident.reference if incident is not None else None

    def get_waiting_seconds(self, entry) -> int:
        return int(entry.waiting_for.total_seconds())


# --- input serializers -------------------------------------------------------------------------------


class SubmitSerializer(StrictInputMixin, serializers.Serializer):
    """Send the current revision to its reviewers."""

    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ApproveSerializer(StrictInputMixin, serializers.Serializer):
    """Approve the revision you read; if the text changed since, the approval is refused (409)."""

    revision = serializers.IntegerField(
        min_value=1, help_text=_("The number of the revision you reviewed (``current_revision.number``).")
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    role = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Which approval you give (``legal``, ``incident_lead``) when you could give more than one."),
    )


class DecisionCommentSerializer(StrictInputMixin, serializers.Serializer):
    """Request changes or reject, saying what must change or why."""

    comment = serializers.CharField()
    revision = serializers.IntegerField(
        min_value=1, required=False, help_text=_("The number of the revision you reviewed; refused if stale.")
    )


class WithdrawSerializer(StrictInputMixin, serializers.Serializer):
    """Withdraw, with the reason (internal: the public newsroom shows only a fixed notice with the date)."""

    reason = serializers.CharField()


REVIEW_INPUT_SERIALIZERS = {
    "submit": SubmitSerializer,
    "approve": ApproveSerializer,
    "request_changes": DecisionCommentSerializer,
    "reject": DecisionCommentSerializer,
    "withdraw": WithdrawSerializer,
}


def review_action_schemas(detail_serializer, *, withdraw_summary) -> dict:
    """``extend_schema_view`` arguments documenting ``ReviewActionsMixin``'s actions for one item type."""
    return {
        "submit": extend_schema(
            summary=_("Submit the current revision for review"),
            request=SubmitSerializer,
            responses={200: detail_serializer, **TRANSITION_ERRORS},
        ),
        "approve": extend_schema(
            summary=_("Approve the revision you read"),
            description=_("Refused with 409 when the text changed since that revision, and with 403 for its authors."),
            request=ApproveSerializer,
            responses={200: detail_serializer, **STEP_UP_TRANSITION_ERRORS},
        ),
        "request_changes": extend_schema(
            summary=_("Send it back to its author with a comment"),
            request=DecisionCommentSerializer,
            responses={200: detail_serializer, **TRANSITION_ERRORS},
        ),
        "reject": extend_schema(
            summary=_("Reject it for good, with the reason"),
            request=DecisionCommentSerializer,
            responses={200: detail_serializer, **TRANSITION_ERRORS},
        ),
        "withdraw": extend_schema(
            summary=withdraw_summary,
            request=WithdrawSerializer,
            responses={200: detail_serializer, **STEP_UP_TRANSITION_ERRORS},
        ),
        "revisions": extend_schema(
            summary=_("Every revision, newest first"),
            responses={200: RevisionSerializer(many=True), 404: ERRORS[404]},
        ),
        "audit": extend_schema(
            summary=_("The audit trail, newest first"),
            responses={200: AuditEventSerializer(many=True), 404: ERRORS[404]},
        ),
    }


class ReviewActionsMixin:
    """The engine's actions on one reviewable item, for a ``VisibleModelViewSet`` of that type.

    Mix in before the base viewset and merge ``REVIEW_INPUT_SERIALIZERS`` into
    ``input_serializer_classes``; document with ``review_action_schemas``.
    """

    # An integration key reaches these acts only with the write scope, and then only with an approval
    # grant (``step_up``); every other action of a reviewable type stays closed to keys.
    required_scopes = {"approve": "write", "publish": "write", "withdraw": "write"}

    def ip_address(self) -> str | None:
        return client_ip(self.request)

    def step_up(self) -> str:
        """The second factor confirmed lately in this session (403 ``step_up_required`` if none).

        A personal token or an integration key: 403 ``token_not_allowed`` unless a team lead enabled
        approvals for it (``crisisdesk.apikeys.grants``), then ``"token-grant"``.
        """
        return require_recent_factor(self.request)

    def revision_numbered(self, item, number: int | None):
        """The item's revision with that number; a number it never had is a field error."""
        if number is None:
            return None
        revision = item.revisions().filter(number=number).first()
        if revision is None:
            raise ValidationError({"revision": gettext("This item has no revision %(number)s.") % {"number": number}})
        return revision

    def item_response(self):
        # Re-read through the visible queryset: the answer shows the state the service left.
        return self.read_response(self.get_object())

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        data = self.validated_input()
        review.review_submit(
            actor=request.user, item=self.get_object(), comment=data["comment"], ip_address=self.ip_address()
        )
        return self.item_response()

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = self.validated_input()
        item = self.get_object()
        factor = self.step_up()
        review.review_approve(
            actor=request.user,
            item=item,
            revision=self.revision_numbered(item, data["revision"]),
            comment=data["comment"],
            role=data["role"] or None,
            ip_address=self.ip_address(),
            factor=factor,
        )
        return self.item_response()

    def decide_against(self, service):
        """Request changes or reject (``service``): the same input, a different engine function."""
        data = self.validated_input()
        item = self.get_object()
        service(
            actor=self.request.user,
            item=item,
            comment=data["comment"],
            revision=self.revision_numbered(item, data.get("revision")),
            ip_address=self.ip_address(),
        )
        return self.item_response()

    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        return self.decide_against(review.review_request_changes)

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self.decide_against(review.review_reject)

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        data = self.validated_input()
        item = self.get_object()
        factor = self.step_up()
        review.review_withdraw(
            actor=request.user, item=item, reason=data["reason"], ip_address=self.ip_address(), factor=factor
        )
        return self.item_response()

    # Short lists (a handful of revisions and events per item): not paginated or filtered.
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def revisions(self, request, pk=None):
        revisions = self.get_object().revisions().select_related("created_by")
        return Response(RevisionSerializer(revisions, many=True, context=self.get_serializer_context()).data)

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def audit(self, request, pk=None):
        events = self.get_object().audit_events().select_related("actor", "revision")
        return Response(AuditEventSerializer(events, many=True, context=self.get_serializer_context()).data)


# --- reviews/ and review-queue/ -------------------------------------------------------------------------


class ReviewListPermission(permissions.IsAuthenticated):
    """Review lists need the view permission of some reviewable type: 403 without any role."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return getattr(view, "detail", False) or selectors.can_view_any_reviewable(request.user)


class ReviewDecisionFilterSet(StrictFilterSet):
    decision = django_filters.MultipleChoiceFilter(choices=Decision.choices, label=_("Decision"))
    role = django_filters.CharFilter(label=_("Approval given as"))

    class Meta:
        model = ReviewDecision
        fields = ["decision", "role", "reviewer"]


@extend_schema_view(
    list=extend_schema(summary=_("Review decisions on the items you may see, newest first")),
    retrieve=extend_schema(summary=_("One review decision")),
)
class ReviewDecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Review decisions (approve, request changes, reject); append-only, so read-only here."""

    queryset = ReviewDecision.objects.all()
    serializer_class = ReviewDecisionSerializer
    filterset_class = ReviewDecisionFilterSet
    permission_classes = [ReviewListPermission]
    ordering = ("-created_at", "-id")

    def get_queryset(self):
        return selectors.decisions_visible_to(self.request.user).select_related("content_type", "revision", "reviewer")


class ReviewQueueViewSet(viewsets.GenericViewSet):
    """Items waiting for your decision, oldest first (a working list: not paginated)."""

    serializer_class = QueueEntrySerializer
    permission_classes = [ReviewListPermission]
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary=_("What waits for your review, oldest first"),
        responses={200: QueueEntrySerializer(many=True), 403: ERRORS[403]},
    )
    def list(self, request):
        entries = selectors.waiting_for(request.user)
        return Response(QueueEntrySerializer(entries, many=True, context=self.get_serializer_context()).data)


router = SimpleRouter()
router.register("reviews", ReviewDecisionViewSet, basename="reviewdecision")
router.register("review-queue", ReviewQueueViewSet, basename="review-queue")

urlpatterns = router.urls
