"""REST API views for incidents, crisis teams, timelines, facts and incident roles.

Thin by design: each action validates a small input serializer, calls the
service that owns the rule, and answers with the read serializer. Querysets
come from ``VisibleModelViewSet``, so an incident the user may not see (and
everything hanging off it) is a 404. Service errors become 400/403/409 in
``crisisdesk.api.exceptions``.
"""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from crisisdesk.api.filtering import view_filters_nothing
from crisisdesk.api.pagination import CursorPagination
from crisisdesk.api.viewsets import OpenModelViewSet, VisibleModelViewSet
from crisisdesk.compiled import CompiledLookup
from incidents import hooks, services
from incidents.api import serializers as s
from incidents.filtersets import FactFilterSet, IncidentFilterSet, MembershipFilterSet, TimelineEntryFilterSet
from incidents.models import Fact, Incident, IncidentRole, Membership, TimelineEntry, visibility_scope

ERRORS = {
    400: OpenApiResponse(description=_("Invalid input; the body maps each field to its messages.")),
    403: OpenApiResponse(description=_("You may not do this.")),
    404: OpenApiResponse(description=_("No such incident, or you may not see it.")),
}
TRANSITION_ERRORS = {**ERRORS, 409: OpenApiResponse(description=_("Not allowed from the current state."))}


def detail_lookup(scope: str) -> CompiledLookup:
    """What ``IncidentViewSet.get_queryset`` then ``get_object`` build for a retrieve, for one visibility scope."""

    def build(user, reference):
        queryset = IncidentViewSet.queryset.all().in_scope(scope, user)
        # .order_by(): get_object_or_404's get() drops the default ordering too (one row: nothing to sort).
        return queryset.with_team_flags(user).filter(reference=reference).order_by()

    return CompiledLookup(build, sentinels={"user": -2_147_000_011, "reference": "\x00crisisdesk-reference"})


_FIRST_PAGES: dict[tuple, CompiledLookup] = {}
_FIRST_PAGES_MAX = 32  # scopes × page sizes kept per process; past it, pages are built as before


def first_page_lookup(scope: str, paginator: CursorPagination) -> CompiledLookup | None:
    """What ``IncidentViewSet.list`` reads for a first page of ``paginator.page_size``, for one scope."""
    key = (scope, paginator.page_size, paginator.ordering)
    if key not in _FIRST_PAGES:
        if len(_FIRST_PAGES) >= _FIRST_PAGES_MAX:
            return None
        # A paginator of its own: the lookup outlives the request the first one served.
        size, ordering = paginator.page_size, paginator.ordering
        template = CursorPagination()
        template.page_size, template.ordering = size, ordering

        def build(**user):
            return template.first_page(IncidentViewSet.queryset.all().in_scope(scope, user.get("user")))

        sentinels = {"user": -2_147_000_012} if scope == "rule" else {}
        _FIRST_PAGES[key] = CompiledLookup(build, sentinels=sentinels)
    return _FIRST_PAGES[key]


@extend_schema_view(
    list=extend_schema(summary=_("List the incidents you may see")),
    retrieve=extend_schema(summary=_("One incident, with the transitions you may make")),
    create=extend_schema(
        summary=_("Open an incident"),
        request=s.IncidentCreateSerializer,
        responses={201: s.IncidentDetailSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Edit an incident's description"),
        description=_("Status, severity, lead and clocks are refused here: each has its own action."),
        request=s.IncidentUpdateSerializer,
        responses={200: s.IncidentDetailSerializer, **ERRORS},
    ),
)
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Incidents, looked up by reference (``CD-2026-0042``); workflow changes are POST actions."""

    queryset = Incident.objects.select_related("lead")
    serializer_class = s.IncidentSerializer
    filterset_class = IncidentFilterSet
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    ordering = ("-detected_at", "-id")
    # No PUT (a full replace would have to refuse most fields) and no DELETE (incidents are records).
    http_method_names = ["get", "post", "patch", "head", "options"]

    input_serializer_classes = {
        "create": s.IncidentCreateSerializer,
        "partial_update": s.IncidentUpdateSerializer,
        "transition": s.TransitionSerializer,
        "severity": s.SeveritySerializer,
        "lead": s.LeadSerializer,
        "notes": s.NoteSerializer,
        "facts": s.FactInputSerializer,
    }

    @extend_schema(
        summary=_("Key messages a statement of this incident may start from, best first, with the reason"),
        description=_(
            "Approved, unexpired key messages you may read, ranked by category, language and kind "
            "(the same ranking as the browser's picker). Another language is ranked last, not hidden."
        ),
        parameters=[s.KeyMessageSuggestionQuerySerializer],
        responses={200: s.KeyMessageSuggestionSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="key-message-suggestions", pagination_class=None)
    def key_message_suggestions(self, request, reference=None):
        incident = self.get_object()
        query = s.KeyMessageSuggestionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        suggestions = hooks.key_message_library().ranked(request.user, incident=incident, **query.validated_data)
        return Response(s.KeyMessageSuggestionSerializer(suggestions, many=True).data)

    def list(self, request, *args, **kwargs):
        # The first page of the plain list (no filter, no cursor: what an integration polls) from SQL
        # compiled once per visibility scope and page size (crisisdesk.compiled), the rows handed to
        # the same paginator. Anything else builds the queryset as before.
        scope = visibility_scope(request.user)
        paginator = self.paginator
        if (
            scope not in ("all", "rule")
            or type(paginator) is not CursorPagination
            or not view_filters_nothing(self)
            or not paginator.start(request, self.queryset, self)
            or paginator.cursor is not None
        ):
            return super().list(request, *args, **kwargs)
        lookup = first_page_lookup(scope, paginator)
        if lookup is None:
            return super().list(request, *args, **kwargs)
        values = {"user": request.user.pk} if scope == "rule" else {}
        page = paginator.paginate_rows(lookup.rows(using=self.queryset.db, **values))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self):
        # The detail's query (visibility, team flags, the reference) compiled once per process and
        # visibility scope (crisisdesk.compiled): building and compiling it was about half of the
        # request's CPU. The same statement as the path below, and the same object permissions.
        scope = visibility_scope(self.request.user)
        if self.action != "retrieve" or scope not in DETAIL_LOOKUPS or not view_filters_nothing(self):
            return super().get_object()
        incident = DETAIL_LOOKUPS[scope].first(
            user=self.request.user.pk, reference=self.kwargs[self.lookup_field], using=self.queryset.db
        )
        if incident is None:  # get_object_or_404's own words: an unseen incident answers as a missing one
            raise Http404(f"No {Incident._meta.object_name} matches the given query.")
        self.check_object_permissions(self.request, incident)
        return incident

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            # ``allowed_transitions`` asks "is this user the incident's lead?" per status (and "a member?"
            # for a confidential one): two EXISTS read with the incident answer every one
            # (incidents.permissions reads them), instead of a query each or a second query for the team.
            queryset = queryset.with_team_flags(self.request.user)
        return queryset

    def get_read_serializer_class(self):
        # The list stays lean: allowed_transitions costs queries per row.
        return s.IncidentSerializer if self.action == "list" else s.IncidentDetailSerializer

    def create(self, request, *args, **kwargs):
        incident = services.incident_open(actor=request.user, **self.validated_input())
        return self.read_response(incident, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        incident = self.get_object()
        incident = services.incident_update(actor=request.user, incident=incident, **self.validated_input())
        return self.read_response(incident)

    @extend_schema(
        summary=_("Move the incident to another status"),
        request=s.TransitionSerializer,
        responses={200: s.IncidentDetailSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        data = self.validated_input()
        incident = services.incident_change_status(
            actor=request.user, incident=self.get_object(), to_status=data["status"], comment=data["comment"]
        )
        return self.read_response(incident)

    @extend_schema(
        summary=_("Acknowledge the incident (stops the time-to-acknowledge clock)"),
        request=None,
        responses={200: s.IncidentDetailSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, reference=None):
        incident = services.incident_acknowledge(actor=request.user, incident=self.get_object())
        return self.read_response(incident)

    @extend_schema(
        summary=_("Set the severity"),
        request=s.SeveritySerializer,
        responses={200: s.IncidentDetailSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def severity(self, request, reference=None):
        data = self.validated_input()
        incident = services.incident_set_severity(
            actor=request.user, incident=self.get_object(), severity=data["severity"], comment=data["comment"]
        )
        return self.read_response(incident)

    @extend_schema(
        summary=_("Hand the incident to a new lead"),
        request=s.LeadSerializer,
        responses={200: s.IncidentDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def lead(self, request, reference=None):
        data = self.validated_input()
        incident = services.incident_set_lead(actor=request.user, incident=self.get_object(), lead=data["lead"])
        return self.read_response(incident)

    @extend_schema(
        summary=_("Write a note, decision or escalation on the timeline"),
        request=s.NoteSerializer,
        responses={201: s.TimelineEntrySerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def notes(self, request, reference=None):
        entry = services.timeline_add_note(actor=request.user, incident=self.get_object(), **self.validated_input())
        return self.read_response(
            entry, serializer_class=s.TimelineEntrySerializer, status_code=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary=_("Register a claim in the facts register"),
        request=s.FactInputSerializer,
        responses={201: s.FactSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def facts(self, request, reference=None):
        fact = services.fact_add(actor=request.user, incident=self.get_object(), **self.validated_input())
        return self.read_response(fact, serializer_class=s.FactSerializer, status_code=status.HTTP_201_CREATED)


DETAIL_LOOKUPS = {scope: detail_lookup(scope) for scope in ("all", "rule")}


@extend_schema_view(
    create=extend_schema(
        summary=_("Put someone on a crisis team"),
        request=s.MembershipCreateSerializer,
        responses={201: s.MembershipSerializer, **ERRORS},
    ),
    destroy=extend_schema(summary=_("Take someone off a crisis team"), responses={204: None, **TRANSITION_ERRORS}),
)
class MembershipViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, VisibleModelViewSet
):
    """Crisis team memberships of the incidents you may see."""

    queryset = Membership.objects.select_related("incident", "user", "role")
    serializer_class = s.MembershipSerializer
    filterset_class = MembershipFilterSet
    visible_through = "incident"
    ordering = ("id",)
    input_serializer_classes = {"create": s.MembershipCreateSerializer}

    def create(self, request, *args, **kwargs):
        membership = services.membership_add(actor=request.user, **self.validated_input())
        return self.read_response(membership, status_code=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.membership_remove(actor=self.request.user, membership=instance)


class TimelineEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Timeline entries of the incidents you may see; append-only, so read-only here (write with notes/)."""

    queryset = TimelineEntry.objects.select_related("incident", "author")
    serializer_class = s.TimelineEntrySerializer
    filterset_class = TimelineEntryFilterSet
    visible_through = "incident"
    ordering = ("-created_at", "-id")


@extend_schema_view(
    create=extend_schema(
        summary=_("Register a claim in an incident's facts register"),
        request=s.FactCreateSerializer,
        responses={201: s.FactSerializer, **ERRORS},
    ),
)
class FactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """The facts registers of the incidents you may see."""

    queryset = Fact.objects.select_related("incident", "created_by", "verified_by")
    serializer_class = s.FactSerializer
    filterset_class = FactFilterSet
    visible_through = "incident"
    ordering = ("id",)
    input_serializer_classes = {"create": s.FactCreateSerializer, "verify": s.FactVerifySerializer}

    def create(self, request, *args, **kwargs):
        fact = services.fact_add(actor=request.user, **self.validated_input())
        return self.read_response(fact, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Confirm or refute a fact"),
        request=s.FactVerifySerializer,
        responses={200: s.FactSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        fact = services.fact_verify(actor=request.user, fact=self.get_object(), **self.validated_input())
        return self.read_response(fact)


class IncidentRoleViewSet(mixins.ListModelMixin, OpenModelViewSet):
    """The roles one can hold on a crisis team (reference data, a short list: not paginated)."""

    queryset = IncidentRole.objects.all()
    serializer_class = s.IncidentRoleSerializer
    filter_backends = []
    pagination_class = None


@extend_schema(
    summary=_("Obtain your personal API token"),
    description=_(
        "Exchange a username and password for your personal token, then send it as "
        "`Authorization: Token <token>`. The same token is returned until it is revoked."
    ),
    request=AuthTokenSerializer,
    responses={200: s.TokenSerializer, 400: OpenApiResponse(description=_("Wrong username or password."))},
    auth=[],
)
class ObtainTokenView(ObtainAuthToken):
    """``POST /api/v1/auth/token/``: a personal token for scripts, from a username and password."""

    # Password guessing is the one thing worth slowing down here.
    throttle_classes = [AnonRateThrottle]
