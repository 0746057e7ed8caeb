"""The mentions API: idempotent ingest (single and bulk), the inbox as a list, triage.

Integration API keys need the ``ingest`` scope to post mentions, ``read`` to list them and
``write`` to triage. A bulk request answers item by item, in input order: each item is
``created``, ``updated``, ``unchanged`` (an older or identical copy of what is stored) or
``rejected`` (with its field and message); the good items are stored even when others are
rejected. Only a malformed batch (not a list, empty, over 1,000 items) is refused whole (400).
Ingest is idempotent, so resending a corrected batch is harmless.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, status
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from crisisdesk.api.parsers import ItemwiseJSONParser
from crisisdesk.api.viewsets import VisibleModelViewSet
from crisisdesk.request_guard import body_limit
from incidents.api.serializers import IncidentSerializer
from incidents.listening import alerts as alert_services
from incidents.listening import inbox, parsing, services
from incidents.listening.api import serializers as s
from incidents.listening.filtersets import (
    AlertFilterSet,
    FollowUpFilterSet,
    MentionFilterSet,
    SpikeRuleFilterSet,
    WatchTermFilterSet,
)
from incidents.listening.models import Alert, Mention, MentionTerm, PrivateFollowUp, SpikeRule, WatchTerm
from incidents.models import Incident

# 1,000 mentions at every field's maximum (text 20,000 characters) weigh about 21 MiB as ASCII JSON
# and 40 MiB with 2-byte UTF-8 text (French); checked by test_bulk_limit_holds_a_maximal_batch.
MAX_BULK_BODY = 48 * 1024 * 1024

INGEST_RESPONSES = {
    400: OpenApiResponse(description=_("Malformed input: ``errors`` lists index, field and message of each.")),
    403: OpenApiResponse(description=_("The key lacks the ingest scope, or the user may not add mentions.")),
}


MENTION_ACTION_ERRORS = {
    400: OpenApiResponse(description=_("Invalid input: the body maps each field to its messages.")),
    403: OpenApiResponse(description=_("You may not triage mentions (or follow up for this incident's team).")),
    404: OpenApiResponse(description=_("No such mention, or you may not see it.")),
}


ALERT_ACTION_ERRORS = {
    400: OpenApiResponse(description=_("Invalid input: the body maps each field to its messages.")),
    403: OpenApiResponse(description=_("You may not handle alerts (open incidents), or the key lacks write.")),
    404: OpenApiResponse(description=_("No such alert, or you may not see it.")),
    409: OpenApiResponse(description=_("The alert was already handled.")),
}


def _item_errors_response(errors: list[dict]) -> Response:
    return Response({"detail": _("Malformed mention; nothing was stored."), "errors": errors}, status=400)


@extend_schema_view(
    list=extend_schema(summary=_("The mention inbox (filterable)")),
    retrieve=extend_schema(summary=_("One mention")),
    create=extend_schema(
        summary=_("Ingest one mention (idempotent on platform + external id)"),
        request=s.MentionInputSerializer,
        responses={200: s.MentionSerializer, **INGEST_RESPONSES},
    ),
)
class MentionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Mentions of the watch terms, from every monitoring source."""

    queryset = Mention.objects.select_related("incident").prefetch_related("term_matches__watch_term")
    serializer_class = s.MentionSerializer
    filterset_class = MentionFilterSet
    ordering = ("-posted_at", "-id")
    http_method_names = ["get", "post", "head", "options"]
    required_scopes = {
        "list": "read",
        "retrieve": "read",
        "create": "ingest",
        "bulk": "ingest",
        "triage": "write",
        "answer": "write",
        "answer_privately": "write",
        "open_incident": "write",
    }
    input_serializer_classes = {
        "open_incident": s.OpenIncidentInputSerializer,
        "triage": s.TriageInputSerializer,
        "answer": s.AnswerInputSerializer,
        "answer_privately": s.FollowUpInputSerializer,
    }

    def get_parsers(self):
        # Ingest (the list route's POST and bulk/) is validated field by field and item by item by
        # parse_mention, which names the field of a NUL or an infinite number; the other actions keep
        # the strict parser, which refuses them for the whole body before any lookup.
        if getattr(self, "action_map", {}).get("post") in ("create", "bulk"):
            return [ItemwiseJSONParser()]
        return super().get_parsers()

    def _require_ingest(self):
        if not services.can_ingest(self.request.user):
            raise PermissionDenied(_("You may not add mentions."))

    def create(self, request):
        self._require_ingest()
        if not isinstance(request.data, dict):
            # A list here would be a batch: it belongs to bulk/, which answers item by item.
            error = {"index": 0, "field": "non_field_errors", "message": _("Expected one mention (an object).")}
            return _item_errors_response([error])
        mentions, errors = parsing.parse_batch([request.data])
        if errors:
            return _item_errors_response(errors)
        result = services.mentions_ingest(mentions=mentions, source="api")
        mention = self.get_queryset().get(pk=result.mentions[0].pk)
        return self.read_response(mention)

    @extend_schema(
        summary=_("Ingest up to 1,000 mentions (idempotent; answered item by item)"),
        request=s.BulkInputSerializer,
        responses={200: s.BulkResultSerializer, **INGEST_RESPONSES},
    )
    @body_limit(MAX_BULK_BODY)
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        self._require_ingest()
        items = request.data.get("mentions") if isinstance(request.data, dict) else request.data
        result, results = services.mentions_ingest_items(items=items, source="api")
        counts = dict.fromkeys((services.CREATED, services.UPDATED, services.UNCHANGED, services.REJECTED), 0)
        for item_result in results:
            counts[item_result["status"]] += 1
        return Response({"stored": result.stored, **counts, "results": results}, status=status.HTTP_200_OK)

    @extend_schema(
        summary=_("Triage mentions: set a status and/or link an incident"),
        request=s.TriageInputSerializer,
        responses={
            200: inline_serializer("TriageResult", {"changed": drf_serializers.IntegerField(min_value=0)}),
        },
    )
    @action(detail=False, methods=["post"])
    def triage(self, request):
        data = self.validated_input()
        mentions = list(self.get_queryset().filter(pk__in=data["ids"]))
        changed = 0
        if data.get("incident"):
            incident = get_object_or_404(Incident.objects.visible_to(request.user), reference=data["incident"])
            changed = services.mentions_link_incident(actor=request.user, mentions=mentions, incident=incident)
        if data.get("status"):
            changed = services.mentions_set_status(actor=request.user, mentions=mentions, status=data["status"])
        return Response({"changed": changed})

    @extend_schema(
        summary=_("Open an incident from mentions and link them to it"),
        description=_(
            "Title suggested from the mentions' top watch terms unless ``title`` is given; detected at the "
            "earliest post; affected channels from their platforms. The mentions are linked (and triaged). "
            "An id you may not see answers like a missing one: ``mentions`` lists each as not found."
        ),
        request=s.OpenIncidentInputSerializer,
        responses={
            201: IncidentSerializer,
            400: MENTION_ACTION_ERRORS[400],
            403: OpenApiResponse(
                description=_("You may not open incidents or triage mentions, or the key lacks write.")
            ),
        },
    )
    @action(detail=False, methods=["post"], url_path="open-incident")
    def open_incident(self, request):
        if not inbox.can_open_incident_from_mentions(request.user):
            raise PermissionDenied(_("You may not open incidents from mentions."))
        data = self.validated_input()
        incident = inbox.mentions_open_incident(
            actor=request.user, mention_ids=data["mentions"], title=data.get("title", "")
        )
        return self.read_response(incident, serializer_class=IncidentSerializer, status_code=status.HTTP_201_CREATED)

    def _require_triage(self):
        # Before the input is read: whoever may not triage learns that, not what was wrong with the body.
        if not services.can_triage(self.request.user):
            raise PermissionDenied(_("You may not triage mentions."))

    @extend_schema(
        summary=_("Record our public answer (its URL); the mention becomes answered"),
        request=s.AnswerInputSerializer,
        responses={200: s.MentionSerializer, **MENTION_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        mention = self.get_object()
        self._require_triage()
        services.mention_record_answer(actor=request.user, mention=mention, **self.validated_input())
        return self.read_response(self.get_queryset().get(pk=mention.pk))

    @extend_schema(
        summary=_("Move the conversation to a private channel: a follow-up only the incident's team sees"),
        description=_(
            "``incident`` defaults to the mention's own; you must be on its crisis team. "
            "The mention becomes answered privately and is linked to the incident."
        ),
        request=s.FollowUpInputSerializer,
        responses={201: s.FollowUpSerializer, **MENTION_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="answer-privately")
    def answer_privately(self, request, pk=None):
        mention = self.get_object()
        self._require_triage()
        follow_up = services.mention_answer_privately(actor=request.user, mention=mention, **self.validated_input())
        return self.read_response(follow_up, serializer_class=s.FollowUpSerializer, status_code=status.HTTP_201_CREATED)


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
    required_scopes = {
        **READ_SCOPES,
        "mentions": "read",
        "dismiss": "write",
        "attach": "write",
        "open_incident": "write",
    }
    input_serializer_classes = {"dismiss": s.AlertDismissInputSerializer, "attach": s.AlertAttachInputSerializer}

    def _require_handle(self):
        # Before the input is read: whoever may not handle alerts learns that, not what was wrong with the body.
        if not alert_services.can_handle_alerts(self.request.user):
            raise PermissionDenied(_("You may not handle alerts."))

    @extend_schema(
        summary=_("Dismiss an unhandled alert, saying why"),
        request=s.AlertDismissInputSerializer,
        responses={200: s.AlertSerializer, **ALERT_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        alert = self.get_object()
        self._require_handle()
        alert_services.alert_dismiss(actor=request.user, alert=alert, **self.validated_input())
        return self.read_response(self.get_queryset().get(pk=alert.pk))

    @extend_schema(
        summary=_("Attach an unhandled alert to an active incident; its evidence mentions join the incident"),
        request=s.AlertAttachInputSerializer,
        responses={200: s.AlertSerializer, **ALERT_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def attach(self, request, pk=None):
        alert = self.get_object()
        self._require_handle()
        alert_services.alert_attach(actor=request.user, alert=alert, **self.validated_input())
        return self.read_response(self.get_queryset().get(pk=alert.pk))

    @extend_schema(
        summary=_("Open an incident from an unhandled alert, pre-filled from its rule"),
        description=_(
            "Title from the watch term, category and severity from the rule's defaults, detected at the "
            "start of the alert's window; the evidence mentions are linked to it. No body. Answers the incident; "
            "a holding statement is drafted at ``/incidents/{reference}/statements/new/?holding=1`` in the browser."
        ),
        request=None,
        responses={201: IncidentSerializer, **ALERT_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="open-incident")
    def open_incident(self, request, pk=None):
        alert = self.get_object()
        self._require_handle()
        incident = alert_services.alert_open_incident(actor=request.user, alert=alert)
        return self.read_response(incident, serializer_class=IncidentSerializer, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("The alert's sample mentions, most negative first (those you may see)"),
        description=_(
            "What the browser's alert page lists as evidence: the mentions of ``evidence.mention_ids``, "
            "without those linked to an incident you may not see. Not paginated (a sample is small)."
        ),
        responses={200: s.MentionSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def mentions(self, request, pk=None):
        alert = self.get_object()
        ids = (alert.evidence or {}).get("mention_ids", [])
        sample = (
            Mention.objects.visible_to(request.user)
            .filter(pk__in=[pk for pk in ids if type(pk) is int and 0 < pk < 2**63])
            .select_related("incident")
            .prefetch_related("term_matches__watch_term")
            .order_by("sentiment", "id")
        )
        return Response(s.MentionSerializer(sample, many=True, context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(summary=_("Private follow-ups of the incidents whose team you are on (filterable)")),
    retrieve=extend_schema(summary=_("One private follow-up")),
)
class FollowUpViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Conversations moved to a private channel; confidential: only the incident's team (and superusers) see them.

    Recorded with ``POST mentions/{id}/answer-privately/``; never edited or deleted here.
    """

    queryset = PrivateFollowUp.objects.select_related("incident", "created_by")
    serializer_class = s.FollowUpSerializer
    filterset_class = FollowUpFilterSet
    ordering = ("-created_at", "-id")
    # Whoever reads mentions may ask; ``visible_to`` then keeps only their incidents' team follow-ups.
    collection_permission = "incidents.view_mention"
    required_scopes = READ_SCOPES
