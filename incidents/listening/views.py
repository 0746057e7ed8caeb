"""Browser views of social listening: the inbox, a mention, watch terms, CSV upload, alerts and charts.

Views are thin: they validate a form, call ``mention_services`` and redirect. Lists come from
``Mention.objects.visible_to(user)``; private follow-ups from ``PrivateFollowUp.objects.visible_to``.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from crisisdesk.pagination import CappedPaginator
from incidents.listening import charts, csv_import, inbox, services
from incidents.listening.alerts import can_handle_alerts
from incidents.listening.filtersets import MentionFilterSet
from incidents.listening.forms import (
    AnswerForm,
    BulkTriageForm,
    CSVUploadForm,
    FollowUpForm,
    OpenIncidentForm,
    SpikeRuleForm,
    WatchTermForm,
    active_incidents,
)
from incidents.listening.models import Alert, Mention, MentionTerm, PrivateFollowUp, SpikeRule, WatchTerm
from incidents.models import Incident


def _messages_from(request, exc: ValidationError):
    for message in exc.messages:
        messages.error(request, message)


class InboxView(PermissionRequiredMixin, ListView):
    """The mention inbox: filters, bulk triage, newest first; the total is capped (``crisisdesk.pagination``)."""

    permission_required = "incidents.view_mention"
    template_name = "mentions/inbox.html"
    context_object_name = "mentions"
    paginate_by = 50
    paginator_class = CappedPaginator

    def get_queryset(self):
        base = (
            Mention.objects.visible_to(self.request.user)
            .select_related("incident")
            .prefetch_related(Prefetch("term_matches", queryset=MentionTerm.objects.select_related("watch_term")))
        )
        self.filterset = MentionFilterSet(self.request.GET or None, queryset=base, request=self.request)
        return (self.filterset.qs if self.filterset.is_bound else base).order_by("-posted_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["triage_form"] = BulkTriageForm(user=self.request.user)
        context["can_triage"] = services.can_triage(self.request.user)
        context["can_ingest"] = services.can_ingest(self.request.user)
        context["can_manage_terms"] = services.can_manage_terms(self.request.user)
        context["can_open_incident"] = inbox.can_open_incident_from_mentions(self.request.user)
        context["open_form"] = OpenIncidentForm()
        context["term_counts"] = inbox.new_negative_counts(self.request.user)
        return context


def _safe_back(request) -> str:
    back = request.POST.get("next") or ""
    return back if back.startswith("/") and not back.startswith("//") else reverse("mentions:inbox")


class OpenIncidentView(LoginRequiredMixin, View):
    """Open an incident from the ticked mentions in one submit and land in its war room."""

    def post(self, request):
        if not inbox.can_open_incident_from_mentions(request.user):
            raise PermissionDenied(_("You may not open incidents from mentions."))
        form = OpenIncidentForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(_safe_back(request))
        try:
            incident = inbox.mentions_open_incident(
                actor=request.user, mention_ids=form.cleaned_data["ids"], title=form.cleaned_data["title"]
            )
        except ValidationError as exc:
            _messages_from(request, exc)
            return redirect(_safe_back(request))
        messages.success(
            request,
            _("Incident %(reference)s opened from %(n)d mention(s).")
            % {"reference": incident.reference, "n": len(set(form.cleaned_data["ids"]))},
        )
        return redirect(incident.get_absolute_url())


class BulkTriageView(LoginRequiredMixin, View):
    """Apply the bulk form of the inbox to the ticked mentions."""

    def post(self, request):
        form = BulkTriageForm(request.POST, user=request.user)
        back = request.POST.get("next") or reverse("mentions:inbox")
        if not back.startswith("/"):
            back = reverse("mentions:inbox")
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        mentions = list(Mention.objects.visible_to(request.user).filter(pk__in=form.cleaned_data["ids"]))
        try:
            if form.cleaned_data["incident"]:
                services.mentions_link_incident(
                    actor=request.user, mentions=mentions, incident=form.cleaned_data["incident"]
                )
            if form.cleaned_data["status"]:
                services.mentions_set_status(actor=request.user, mentions=mentions, status=form.cleaned_data["status"])
        except ValidationError as exc:
            _messages_from(request, exc)
        else:
            messages.success(request, _("%(n)d mention(s) updated.") % {"n": len(mentions)})
        return redirect(back)


class MentionDetailView(PermissionRequiredMixin, DetailView):
    """One mention: its text and matches, our public answer, and the private follow-ups the user may see."""

    permission_required = "incidents.view_mention"
    template_name = "mentions/mention_detail.html"
    context_object_name = "mention"

    def get_queryset(self):
        return Mention.objects.visible_to(self.request.user).select_related("incident")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["follow_ups"] = PrivateFollowUp.objects.visible_to(user).filter(mention=self.object)
        context["can_triage"] = services.can_triage(user)
        context["answer_form"] = AnswerForm(initial={"reply_url": self.object.reply_url})
        context["follow_up_form"] = FollowUpForm(user=user, initial={"incident": self.object.incident})
        return context


class MentionActionView(LoginRequiredMixin, View):
    """Base of the POST actions on one mention: look it up among the visible ones, map errors to messages."""

    form_class = None

    def post(self, request, pk):
        mention = get_object_or_404(Mention.objects.visible_to(request.user), pk=pk)
        form = self.get_form(request)
        if form.is_valid():
            try:
                self.act(mention, form.cleaned_data)
            except ValidationError as exc:
                _messages_from(request, exc)
            except PermissionDenied as exc:
                messages.error(request, str(exc))
        else:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        return redirect("mentions:detail", pk=mention.pk)

    def get_form(self, request):
        return self.form_class(request.POST)


class RecordAnswerView(MentionActionView):
    """Record the URL of our public answer."""

    form_class = AnswerForm

    def act(self, mention, data):
        services.mention_record_answer(actor=self.request.user, mention=mention, reply_url=data["reply_url"])
        messages.success(self.request, _("Answer recorded."))


class AnswerPrivatelyView(MentionActionView):
    """Move the conversation to a private channel (a confidential follow-up)."""

    def get_form(self, request):
        return FollowUpForm(request.POST, user=request.user)

    def act(self, mention, data):
        services.mention_answer_privately(
            actor=self.request.user,
            mention=mention,
            incident=data["incident"],
            channel=data["channel"],
            outcome=data["outcome"],
        )
        messages.success(self.request, _("Private follow-up recorded; only the incident's team sees it."))


class WatchTermsView(PermissionRequiredMixin, FormView):
    """The watch terms; team leads add, pause and resume them."""

    permission_required = "incidents.view_watchterm"
    template_name = "mentions/watch_terms.html"
    form_class = WatchTermForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["terms"] = WatchTerm.objects.all()
        context["can_manage_terms"] = services.can_manage_terms(self.request.user)
        return context

    def form_valid(self, form):
        try:
            services.watch_term_add(actor=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("term", message)
            return self.form_invalid(form)
        except PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        messages.success(self.request, _("Watch term added."))
        return redirect("mentions:terms")


class WatchTermToggleView(LoginRequiredMixin, View):
    """Pause or resume a watch term."""

    def post(self, request, pk):
        term = get_object_or_404(WatchTerm, pk=pk)
        services.watch_term_set_active(actor=request.user, watch_term=term, active=not term.active)
        return redirect("mentions:terms")


class CSVUploadView(LoginRequiredMixin, FormView):
    """Upload a monitoring tool's CSV export: good rows are imported, bad rows listed with their line.

    A file that is not UTF-8 (or not CSV) to its end is refused whole, naming the line: nothing is stored.
    """

    template_name = "mentions/csv_upload.html"
    form_class = CSVUploadForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.can_ingest(request.user):
            raise PermissionDenied(_("You may not add mentions."))
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            # Bytes lines: the service decodes each, so a bad byte is reported with its line.
            result = csv_import.mentions_import_csv(actor=self.request.user, lines=upload)
        except csv_import.CSVFileError as exc:
            form.add_error("file", exc.message_dict["file"])
            return self.form_invalid(form)
        return self.render_to_response(self.get_context_data(form=CSVUploadForm(), result=result))


class AlertListView(PermissionRequiredMixin, ListView):
    """Alerts fired by spike rules, newest first."""

    permission_required = "incidents.view_alert"
    template_name = "mentions/alerts.html"
    context_object_name = "alerts"
    paginate_by = 25

    def get_queryset(self):
        alerts = Alert.objects.visible_to(self.request.user).select_related("rule", "watch_term", "incident")
        # ?unhandled=true: those still to handle (the dashboard card's "See all").
        return alerts.unhandled() if self.request.GET.get("unhandled") == "true" else alerts


class AlertDetailView(PermissionRequiredMixin, DetailView):
    """One alert with its evidence: the curve and the sample mentions."""

    permission_required = "incidents.view_alert"
    template_name = "mentions/alert_detail.html"
    context_object_name = "alert"

    def get_queryset(self):
        return Alert.objects.visible_to(self.request.user).select_related(
            "rule", "watch_term", "incident", "handled_by"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ids = self.object.evidence.get("mention_ids", [])
        context["sample"] = Mention.objects.visible_to(self.request.user).filter(pk__in=ids).order_by("sentiment")
        context["chart"] = charts.svg_from_curve(self.object.evidence.get("curve", []))
        if self.object.handled_at is None and can_handle_alerts(self.request.user):
            context["can_handle"] = True
            context["attachable"] = list(active_incidents(self.request.user))
        return context


class TermChartView(PermissionRequiredMixin, TemplateView):
    """Mention volume and negative share over time for one watch term."""

    permission_required = "incidents.view_mention"
    template_name = "mentions/chart.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        term = get_object_or_404(WatchTerm, pk=self.kwargs["pk"])
        context["title"] = term.term
        context["chart"] = charts.term_chart(term=term)
        return context


class IncidentChartView(LoginRequiredMixin, TemplateView):
    """Mention volume and negative share of one incident, with its statements' publish times marked."""

    template_name = "mentions/chart.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        incident = get_object_or_404(Incident.objects.visible_to(self.request.user), reference=self.kwargs["reference"])
        context["title"] = str(incident)
        context["incident"] = incident
        context["chart"] = charts.incident_chart(incident=incident)
        return context


class SpikeRuleListView(PermissionRequiredMixin, ListView):
    """The spike rules with their thresholds and last firing; team leads create and edit them."""

    permission_required = "incidents.view_spikerule"
    template_name = "mentions/spike_rules.html"
    context_object_name = "rules"

    def get_queryset(self):
        return SpikeRule.objects.select_related("watch_term", "attach_to")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_manage"] = services.can_manage_spike_rules(self.request.user)
        return context


class SpikeRuleFormView(LoginRequiredMixin, FormView):
    """Create a spike rule, or edit one (``pk`` in the URL), through ``spike_rule_save``."""

    template_name = "mentions/spike_rule_form.html"
    form_class = SpikeRuleForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.can_manage_spike_rules(request.user):
            raise PermissionDenied(_("Only team leads manage spike rules."))
        self.rule = get_object_or_404(SpikeRule, pk=kwargs["pk"]) if "pk" in kwargs else None
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.rule}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "rule": self.rule}

    def form_valid(self, form):
        data = form.cleaned_data
        if self.rule is not None:
            data = {name: value for name, value in data.items() if name in form.changed_data}
        try:
            services.spike_rule_save(actor=self.request.user, rule=self.rule, data=data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Spike rule saved."))
        return redirect("mentions:rules")
