"""Browser views for incidents: dashboard, list, create/edit forms and the war room with its actions.

Views are thin: they look incidents up through ``Incident.objects.visible_to`` (so a confidential
incident answers 404 to non-members), validate a form, call a service from ``incidents.services``
and redirect. Domain errors from the services become messages: an ``InvalidTransition`` or a
``ValidationError`` on a war-room action is shown as an error message after the redirect back to the
war room (one consistent rule for every action); ``PermissionDenied`` propagates as 403.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin, UserPassesTestMixin
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from crisisdesk import live
from crisisdesk.confirm import confirmation_page, is_confirmed
from crisisdesk.exceptions import InvalidTransition
from crisisdesk.forms import apply_service_error, style_filter_form
from crisisdesk.pagination import CappedPaginator
from incidents import permissions, services
from incidents.checklist.models import IncidentTask
from incidents.checklist.views import checklist_context
from incidents.filtersets import IncidentFilterSet
from incidents.forms import (
    AddMemberForm,
    FactForm,
    IncidentCreateForm,
    IncidentEditForm,
    NoteForm,
    SetLeadForm,
    SeverityForm,
    TransitionForm,
    VerifyFactForm,
)
from incidents.models import Fact, Incident, Membership, Severity, Status
from incidents.response import clocks
from incidents.response.clocks import with_last_publication, with_response_target
from incidents.selectors import timeline_window, visible_incident_or_404
from incidents.statements.models import Statement
from incidents.statements.views import can_draft_statement

VIEW_PERMISSION = "incidents.view_incident"


class DashboardView(PermissionRequiredMixin, TemplateView):
    """Active incidents the user may see, by severity, the most urgent first, with their clocks.

    Each severity shows its first ``cards_per_severity`` cards — overdue ones first, then those
    due soon, then the newest — with the column's total and the overdue total over *all* active
    incidents: a desk with a thousand active incidents renders what a desk with fifty does, and its
    counts stay exact. One narrow query reads every active incident's id, severity, urgency
    (``clocks.with_attention``, computed in SQL) and detection time, sorted here; a second loads
    the cards shown.
    """

    permission_required = VIEW_PERMISSION
    template_name = "dashboard.html"
    cards_per_severity = 10

    def get_context_data(self, **kwargs):
        now = timezone.now()
        targets = clocks.targets_by_severity()
        visible = Incident.objects.visible_to(self.request.user)
        ranked = clocks.with_attention(with_last_publication(visible).active(), targets=targets, now=now)
        columns: dict[int, list] = {}
        for row in ranked.values_list("pk", "severity", clocks.ATTENTION, "detected_at"):
            columns.setdefault(row[1], []).append(row)
        for rows in columns.values():
            rows.sort(key=lambda row: (row[2], -row[3].timestamp(), -row[0]))
        shown = [row[0] for rows in columns.values() for row in rows[: self.cards_per_severity]]
        # No rows shown, no query: Django answers ``pk__in=[]`` itself.
        cards = {
            incident.pk: incident
            for incident in with_last_publication(visible.filter(pk__in=shown)).select_related("lead")
        }
        groups = []
        for severity in Severity:
            rows = columns.get(severity.value, [])
            incidents = [cards[row[0]] for row in rows[: self.cards_per_severity] if row[0] in cards]
            groups.append(
                {
                    "severity": severity,
                    "label": severity.label,
                    "incidents": incidents,
                    "total": len(rows),
                    "more": len(rows) - len(incidents),
                    "list_query": urlencode({"severity": severity.value, "active": "true"}),
                }
            )
        return super().get_context_data(
            groups=groups,
            active_count=sum(len(rows) for rows in columns.values()),
            overdue=sum(1 for rows in columns.values() for row in rows if row[2] == clocks.OVERDUE),
            boards=clocks.response_boards(cards.values(), now=now, targets=targets),
            can_create=permissions.can_create(self.request.user),
            # Live: alerts fired, incidents opened or moved (crisisdesk.live).
            live_topics=[live.ALERTS, live.INCIDENTS],
            **kwargs,
        )


class IncidentListView(PermissionRequiredMixin, ListView):
    """All incidents the user may see, filtered by the shared IncidentFilterSet, 25 per page.

    The total is capped (``crisisdesk.pagination``): no ``COUNT(*)`` over every visible incident per view.
    """

    permission_required = VIEW_PERMISSION
    template_name = "incidents/incident_list.html"
    context_object_name = "incidents"
    paginate_by = 25
    paginator_class = CappedPaginator

    @cached_property
    def filterset(self) -> IncidentFilterSet:
        queryset = Incident.objects.visible_to(self.request.user).select_related("lead")
        filterset = IncidentFilterSet(self.request.GET or None, queryset=queryset, request=self.request)
        style_filter_form(filterset.form)
        return filterset

    def get_queryset(self):
        # An invalid filter (e.g. a bad date) shows its error on the form and lists nothing.
        return self.filterset.qs if self.filterset.is_bound else self.filterset.queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            filter=self.filterset, can_create=permissions.can_create(self.request.user), **kwargs
        )
        page = context["page_obj"]
        # Elided so that a list of thousands of pages does not print thousands of links.
        context["page_range"] = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
        return context


class IncidentCreateView(LoginRequiredMixin, UserPassesTestMixin, FormView):
    """Open a new incident through ``services.incident_open``."""

    form_class = IncidentCreateForm
    template_name = "incidents/incident_form.html"

    def test_func(self):
        return permissions.can_create(self.request.user)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            incident = services.incident_open(
                actor=self.request.user,
                title=data["title"],
                summary=data["summary"],
                category=data["category"],
                severity=data["severity"],
                source=data["source"],
                affected_channels=data["affected_channels"],
                confidential=data["confidential"],
                is_exercise=data["is_exercise"],
                detected_at=data["detected_at"],
                lead=data["lead"],
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Incident %s opened.") % incident.reference)
        return redirect(incident)


class IncidentEditView(LoginRequiredMixin, FormView):
    """Edit an incident's description through ``services.incident_update``."""

    form_class = IncidentEditForm
    template_name = "incidents/incident_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.incident = visible_incident_or_404(request, kwargs["reference"])
        if not permissions.can_edit(request.user, self.incident):
            raise PermissionDenied(_("You may not edit this incident."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "instance": self.incident,
            "can_manage": permissions.can_manage(self.request.user, self.incident),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(incident=self.incident, **kwargs)

    def form_valid(self, form):
        try:
            services.incident_update(actor=self.request.user, incident=self.incident, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Incident %s updated.") % self.incident.reference)
        return redirect(self.incident)


class WarRoomView(LoginRequiredMixin, TemplateView):
    """The incident war room: header and clocks, team, timeline, facts, and the actions this user may take."""

    template_name = "incidents/incident_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        incident = visible_incident_or_404(
            self.request,
            self.kwargs["reference"],
            # "postmortem" (reverse one-to-one): the link to the post-crisis review costs no extra query.
            # The response clocks' target comes along too (``with_response_target``): no query of its own.
            with_response_target(Incident.objects.select_related("lead", "created_by", "postmortem")).prefetch_related(
                Prefetch("memberships", queryset=Membership.objects.select_related("user", "role")),
                Prefetch("facts", queryset=Fact.objects.select_related("created_by", "verified_by")),
                # The war room's statements section: one query whatever the number of statements.
                # ``refuted_fact_count``: the warning on a published statement that cites a refuted fact.
                Prefetch(
                    "statements",
                    queryset=Statement.objects.select_related(
                        "created_by", "current_revision"
                    ).with_refuted_fact_count(),
                ),
                # The checklist: one query whatever the number of tasks (issue 4).
                Prefetch("tasks", queryset=IncidentTask.objects.select_related("assignee", "role")),
            ),
        )
        can = {
            "edit": permissions.can_edit(user, incident),
            "manage": permissions.can_manage(user, incident),
            "add_note": permissions.can_add_note(user, incident),
            "add_fact": permissions.can_add_fact(user, incident),
            "verify_fact": permissions.can_verify_fact(user, incident),
            "acknowledge": incident.acknowledged_at is None
            and permissions.can_transition(user, incident, Status.INVESTIGATING),
            "view_statements": user.has_perm("incidents.view_statement"),
            "draft_statement": can_draft_statement(user, incident),
        }
        transitions = services.transition_buttons(user=user, incident=incident, acknowledge_first=can["acknowledge"])
        context = {
            "incident": incident,
            # The newest 50 entries, or the 50 before ``?before=<entry id>`` ("Older entries").
            "timeline": timeline_window(incident, before=self._timeline_cursor()),
            "can": can,
            "transitions": transitions,
            "transition_form": TransitionForm() if transitions else None,
            "note_form": NoteForm() if can["add_note"] else None,
            "fact_form": FactForm() if can["add_fact"] else None,
            "severity_form": SeverityForm(initial={"severity": incident.severity}) if can["manage"] else None,
            "verify_choices": VerifyFactForm.base_fields["status"].choices,
            **checklist_context(user, incident),
            # Live: timeline entries, review transitions and tasks of this incident (crisisdesk.live).
            "live_topics": [live.incident_topic(incident)],
        }
        return super().get_context_data(**context, **kwargs)

    def _timeline_cursor(self) -> int | None:
        raw = self.request.GET.get("before")
        if raw is None:
            return None
        if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
            raise BadRequest(_("“before” must be the number of a timeline entry."))
        return int(raw)


# A request for the bare fragment (static/js/crisisdesk.js, ``data-load-fragment``) sends this header.
FRAGMENT_HEADER = "X-CrisisDesk-Fragment"


class ManageTeamView(LoginRequiredMixin, TemplateView):
    """The crisis team's lead and member forms, loaded on demand from the war room (issue 15).

    The people and roles they offer are two queries the war room no longer pays on every refresh.
    Without JavaScript the war room's link opens this page; with it, the same URL answers the bare
    fragment in place. A manager only (403); an incident the user may not see is a 404.
    """

    template_name = "incidents/manage_team.html"
    fragment_template_name = "incidents/partials/team_forms.html"

    def get(self, request, *args, **kwargs):
        self.incident = visible_incident_or_404(request, kwargs["reference"])
        if not permissions.can_manage(request.user, self.incident):
            raise PermissionDenied
        response = super().get(request, *args, **kwargs)
        patch_vary_headers(response, [FRAGMENT_HEADER])
        return response

    def get_template_names(self):
        return [self.fragment_template_name if self.request.headers.get(FRAGMENT_HEADER) else self.template_name]

    def get_context_data(self, **kwargs):
        return super().get_context_data(incident=self.incident, **_team_forms(self.incident), **kwargs)


def _team_forms(incident: Incident) -> dict:
    """The lead and member forms; they offer the same people, read in one query for both."""
    lead_form = SetLeadForm(initial={"lead": incident.lead_id})
    member_form = AddMemberForm()
    # ``iter`` first: ``list()`` of the choices would ask their length, a COUNT query of its own.
    people = list(iter(lead_form.fields["lead"].choices))
    lead_form.fields["lead"].choices = people
    member_form.fields["user"].choices = people
    return {"lead_form": lead_form, "member_form": member_form}


class IncidentActionView(LoginRequiredMixin, View):
    """Base of the war room's POST actions: look up, check, validate, call one service, redirect back.

    Subclasses set ``form_class`` and implement ``perform(form)``; ``allowed(user)`` asks
    ``incidents.permissions`` up front so a refused user gets 403 even when the form is incomplete
    (the service checks again inside its transaction).
    """

    form_class = None
    success_message = ""
    http_method_names = ["post"]

    def allowed(self, user) -> bool:
        return permissions.can_view(user, self.incident)

    def post(self, request, *args, **kwargs):
        self.incident = visible_incident_or_404(request, kwargs["reference"])
        if not self.allowed(request.user):
            raise PermissionDenied
        form = self.form_class(request.POST) if self.form_class else None
        if form is not None and not form.is_valid():
            self._error_messages(form.errors.as_data())
        else:
            try:
                self.perform(form)
            except InvalidTransition as error:
                messages.error(request, str(error))
            except ValidationError as error:
                self._error_messages(error.message_dict if hasattr(error, "error_dict") else error.messages)
            else:
                if self.success_message:
                    messages.success(request, self.success_message)
        return redirect(self.incident)

    def _error_messages(self, errors) -> None:
        if isinstance(errors, dict):
            errors = [message for values in errors.values() for message in values]
        for error in errors:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            messages.error(self.request, text)

    def perform(self, form) -> None:
        raise NotImplementedError


class TransitionView(IncidentActionView):
    """Move the incident to another status."""

    form_class = TransitionForm

    def post(self, request, *args, **kwargs):
        """Closing asks first: without ``confirmed=1`` (the dialog's), a confirmation page and nothing done."""
        to_status = request.POST.get("to_status", "")
        if to_status in services.CONFIRMED_TRANSITIONS and not is_confirmed(request):
            self.incident = visible_incident_or_404(request, kwargs["reference"])
            if not self.allowed(request.user):
                raise PermissionDenied
            if to_status in services.user_transitions(user=request.user, incident=self.incident):
                return confirmation_page(
                    request,
                    question=_("Close incident %(reference)s “%(title)s”?")
                    % {"reference": self.incident.reference, "title": self.incident.title},
                    detail=_("A closed incident cannot be reopened."),
                    confirm_label=services.transition_verb(self.incident.status, to_status),
                    confirm_class="btn-danger",
                    cancel_url=self.incident.get_absolute_url(),
                    fields=("to_status", "comment"),
                )
        return super().post(request, *args, **kwargs)

    def perform(self, form):
        incident = services.incident_change_status(
            actor=self.request.user,
            incident=self.incident,
            to_status=form.cleaned_data["to_status"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(self.request, _("Status is now %s.") % incident.get_status_display())


class AcknowledgeView(IncidentActionView):
    """Stop the acknowledgement clock."""

    def allowed(self, user):
        return permissions.can_transition(user, self.incident, Status.INVESTIGATING)

    def perform(self, form):
        services.incident_acknowledge(actor=self.request.user, incident=self.incident)
        messages.success(self.request, _("Incident acknowledged."))


class AddNoteView(IncidentActionView):
    """Append a note, decision or escalation to the timeline."""

    form_class = NoteForm

    def allowed(self, user):
        return permissions.can_add_note(user, self.incident)

    def perform(self, form):
        services.timeline_add_note(
            actor=self.request.user,
            incident=self.incident,
            body=form.cleaned_data["body"],
            kind=form.cleaned_data["kind"],
        )
        messages.success(self.request, _("Added to the timeline."))


class SeverityView(IncidentActionView):
    """Change the severity."""

    form_class = SeverityForm

    def allowed(self, user):
        return permissions.can_manage(user, self.incident)

    def perform(self, form):
        incident = services.incident_set_severity(
            actor=self.request.user,
            incident=self.incident,
            severity=form.cleaned_data["severity"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(self.request, _("Severity is now %s.") % incident.get_severity_display())


class SetLeadView(IncidentActionView):
    """Hand the incident to another lead."""

    form_class = SetLeadForm

    def allowed(self, user):
        return permissions.can_manage(user, self.incident)

    def perform(self, form):
        incident = services.incident_set_lead(
            actor=self.request.user, incident=self.incident, lead=form.cleaned_data["lead"]
        )
        messages.success(self.request, _("%s now leads this incident.") % incident.lead)


class AddMemberView(IncidentActionView):
    """Put someone on the crisis team."""

    form_class = AddMemberForm

    def allowed(self, user):
        return permissions.can_manage(user, self.incident)

    def perform(self, form):
        membership = services.membership_add(
            actor=self.request.user,
            incident=self.incident,
            user=form.cleaned_data["user"],
            role=form.cleaned_data["role"],
        )
        messages.success(
            self.request,
            _("%(user)s joined the crisis team as %(role)s.") % {"user": membership.user, "role": membership.role},
        )


class RemoveMemberView(IncidentActionView):
    """Take someone off the crisis team."""

    def allowed(self, user):
        return permissions.can_manage(user, self.incident)

    def perform(self, form):
        membership = get_object_or_404(
            self.incident.memberships.select_related("user", "role", "incident"), pk=self.kwargs["pk"]
        )
        services.membership_remove(actor=self.request.user, membership=membership)
        messages.success(
            self.request, _("%(user)s left the role %(role)s.") % {"user": membership.user, "role": membership.role}
        )


class AddFactView(IncidentActionView):
    """Register a claim in the facts register."""

    form_class = FactForm

    def allowed(self, user):
        return permissions.can_add_fact(user, self.incident)

    def perform(self, form):
        services.fact_add(
            actor=self.request.user,
            incident=self.incident,
            claim=form.cleaned_data["claim"],
            source=form.cleaned_data["source"],
        )
        messages.success(self.request, _("Fact registered as unverified."))


class VerifyFactView(IncidentActionView):
    """Confirm or refute a fact."""

    form_class = VerifyFactForm

    def allowed(self, user):
        return permissions.can_verify_fact(user, self.incident)

    def perform(self, form):
        fact = get_object_or_404(self.incident.facts.select_related("incident"), pk=self.kwargs["pk"])
        fact = services.fact_verify(
            actor=self.request.user, fact=fact, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
        )
        messages.success(self.request, _("Fact marked %s.") % fact.get_status_display())
