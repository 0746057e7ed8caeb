"""The listening API: watch terms and spike rules (set up by team leads), and the alerts they fired.

An outside integration sets up listening and reads alerts with an API key: ``read`` to list
and retrieve, ``write`` to create and change. Team leads manage terms and rules (the services
check it); communicators, legal and observers read; an outsider gets 403 on the lists and 404
on objects. Nothing is deleted here: a term or a rule is deactivated, because deleting would
cascade to the alerts, the evidence of past spikes.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status

from crisisdesk.api.viewsets import VisibleModelViewSet
from incidents import mention_services as services
from incidents.listening_filtersets import AlertFilterSet, SpikeRuleFilterSet, WatchTermFilterSet
from incidents.models import Alert, MentionTerm, SpikeRule, WatchTerm

from . import listening_serializers as s

READ_SCOPES = {"list": "read", "retrieve": "read"}
WRITE_SCOPES = {**READ_SCOPES, "create": "write", "partial_update": "write"}
WRITE_ERRORS = {
    400: OpenApiResponse(description=_("Invalid input: the body maps each field to its messages.")),
    403: OpenApiResponse(description=_("Only team leads manage listening, or the API key lacks the write scope.")),
}


def mentions_since(since) -> Subquery:
    """Mentions of each term posted since then: one index range scan on (watch_term, posted_at) per term."""
    counts = (
        MentionTerm.objects.filter(watch_term=OuterRef("pk"), posted_at__gte=since)
        .order_by()
        .values("watch_term")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


@extend_schema_view(
    list=extend_schema(summary=_("List the watch terms (filter by active, kind)")),
    retrieve=extend_schema(summary=_("One watch term, with its mentions of the last 24 hours")),
    create=extend_schema(
        summary=_("Start listening for a term (team leads)"),
        request=s.WatchTermCreateSerializer,
        responses={201: s.WatchTermSerializer, **WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Pause or resume listening for a term (team leads)"),
        description=_("Only ``active`` changes; any other field is refused with a 400."),
        request=s.WatchTermUpdateSerializer,
        responses={200: s.WatchTermSerializer, **WRITE_ERRORS},
    ),
)
class WatchTermViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Words and hashtags we listen for; a term is paused, never deleted (its matches and alerts stay)."""

    queryset = WatchTerm.objects.all()
    serializer_class = s.WatchTermSerializer
    filterset_class = WatchTermFilterSet
    ordering = ("term", "id")
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_scopes = WRITE_SCOPES
    input_serializer_classes = {"create": s.WatchTermCreateSerializer, "partial_update": s.WatchTermUpdateSerializer}

    def get_queryset(self):
        since = timezone.now() - timedelta(hours=24)
        return super().get_queryset().annotate(mentions_last_24h=mentions_since(since))

    def _require_manage(self):
        # Before the input is read: a communicator learns that they may not, not what was wrong.
        if not services.can_manage_terms(self.request.user):
            raise PermissionDenied(_("Only team leads manage watch terms."))

    def create(self, request, *args, **kwargs):
        self._require_manage()
        term = services.watch_term_add(actor=request.user, **self.validated_input())
        return self.read_response(self.get_queryset().get(pk=term.pk), status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        term = self.get_object()
        self._require_manage()
        services.watch_term_set_active(actor=request.user, watch_term=term, **self.validated_input())
        return self.read_response(self.get_queryset().get(pk=term.pk))


@extend_schema_view(
    list=extend_schema(summary=_("List the spike rules (filter by watch term, active)")),
    retrieve=extend_schema(summary=_("One spike rule")),
    create=extend_schema(
        summary=_("Create a spike rule (team leads)"),
        description=_("``attach_to`` is the reference of an active incident you may see; required with ``attach``."),
        request=s.SpikeRuleInputSerializer,
        responses={201: s.SpikeRuleSerializer, **WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Change a spike rule, or deactivate it with active: false (team leads)"),
        request=s.SpikeRuleUpdateSerializer,
        responses={200: s.SpikeRuleSerializer, **WRITE_ERRORS},
    ),
)
class SpikeRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Rules that fire an alert when a term's mentions spike; deactivated, never deleted (alerts are evidence)."""

    queryset = SpikeRule.objects.select_related("attach_to", "created_by")
    serializer_class = s.SpikeRuleSerializer
    filterset_class = SpikeRuleFilterSet
    ordering = ("name", "id")
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_scopes = WRITE_SCOPES
    input_serializer_classes = {"create": s.SpikeRuleInputSerializer, "partial_update": s.SpikeRuleUpdateSerializer}

    def _require_manage(self):
        if not services.can_manage_spike_rules(self.request.user):
            raise PermissionDenied(_("Only team leads manage spike rules."))

    def create(self, request, *args, **kwargs):
        self._require_manage()
        rule = services.spike_rule_save(actor=request.user, data=dict(self.validated_input()))
        return self.read_response(self.get_queryset().get(pk=rule.pk), status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        rule = self.get_object()
        self._require_manage()
        rule = services.spike_rule_save(actor=request.user, rule=rule, data=dict(self.validated_input()))
        return self.read_response(self.get_queryset().get(pk=rule.pk))


@extend_schema_view(
    list=extend_schema(summary=_("List the alerts (filter by watch term, rule, time fired, incident)")),
    retrieve=extend_schema(summary=_("One alert: counts, baseline, negative shares, window, evidence and incident")),
)
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Alerts fired by spike rules; an alert on an incident you may not see is absent."""

    queryset = Alert.objects.select_related("rule", "watch_term", "incident")
    serializer_class = s.AlertSerializer
    filterset_class = AlertFilterSet
    ordering = ("-fired_at", "-id")
    required_scopes = READ_SCOPES
