"""Browser views for an incident's statements: draft (from scratch or a key message), edit, read, act, audit.

Thin views: look the statement up through ``Statement.objects.visible_to`` (404 for a hidden
incident), validate a form, call ``incidents.statements.services`` or the review engine, map the
errors, redirect. Workflow buttons are ``crisisdesk.review.views.ItemTransitionView``.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from crisisdesk import live
from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review.models import Action, AuditEvent, ReviewStatus
from crisisdesk.review.policy import policy_for
from crisisdesk.review.services import TRANSITIONS
from crisisdesk.review.views import ItemTransitionView, action_context, client_ip, error_messages, service_error_on_form
from incidents import hooks, permissions
from incidents.models import Channel
from incidents.permissions import can_draft_statement  # noqa: F401 -- incidents.views imports it from here
from incidents.selectors import visible_incident_or_404
from incidents.statements import reuse
from incidents.statements.forms import KeyMessageLanguageForm, RecordUrlForm, StatementCreateForm, StatementEditForm
from incidents.statements.models import Statement
from incidents.statements.services import statement_create, statement_record_url, statement_update


def statement_url(statement: Statement) -> str:
    return reverse("incidents:statement_detail", kwargs={"reference": statement.incident.reference, "pk": statement.pk})


def visible_statement(request, reference: str, pk: int) -> Statement:
    """Look a statement up as this user sees it: 404 when it does not exist, is elsewhere or is hidden."""
    return get_object_or_404(
        Statement.objects.visible_to(request.user).select_related(
            "incident", "current_revision", "created_by", "from_key_message"
        ),
        incident__reference=reference,
        pk=pk,
    )


class StatementCreateView(LoginRequiredMixin, FormView):
    """Draft a statement from scratch, or from an approved key message (``?key_message=<id>``)."""

    form_class = StatementCreateForm
    template_name = "statements/statement_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.incident = visible_incident_or_404(request, kwargs["reference"])
        if not permissions.can_draft_statement(request.user, self.incident):
            raise PermissionDenied(_("You may not draft statements for this incident."))
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def can_use_key_messages(self) -> bool:
        return permissions.can_draft_statement_from_key_message(self.request.user, self.incident)

    @cached_property
    def holding(self) -> bool:
        """``?holding=1``: draft the incident's holding statement, pre-filled from the best-fitting key message."""
        return self.request.GET.get("holding") == "1"

    @cached_property
    def suggestions(self) -> list:
        """The usable key messages ranked for this incident (``incidents.hooks.KeyMessageSuggestion``)."""
        if not self.can_use_key_messages:
            return []
        kind = hooks.HOLDING_STATEMENT if self.holding else None
        return hooks.key_message_library().ranked(self.request.user, incident=self.incident, kind=kind)

    @cached_property
    def suggestion(self):
        """The key message this draft starts from, with its reason: the one asked for, or with ``?holding=1``
        the best-ranked one if it fits (a holding statement in the incident's language and category)."""
        pk = self.request.GET.get("key_message", "")
        if pk.isdigit():
            return next((row for row in self.suggestions if row.key_message.pk == int(pk)), None)
        if self.holding and self.suggestions and self.suggestions[0].fits:
            return self.suggestions[0]
        return None

    @property
    def key_message(self):
        return self.suggestion.key_message if self.suggestion else None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "incident": self.incident, "user": self.request.user}

    def get_initial(self):
        # The incident's affected channels, as statement channels (one enum; unknown codes skipped).
        initial = {"channels": [code for code in self.incident.affected_channels if code in Channel.values]}
        if self.key_message is not None:
            message = self.key_message
            initial.update(
                title=message.title,
                body=message.body,
                language=message.language,
                body_format=message.body_format,
                from_key_message=message.pk,
            )
        return initial

    def get_context_data(self, **kwargs):
        reuse_text = None
        if self.key_message is not None:
            planned = reuse.planned_reuse(statement=Statement(incident=self.incident), key_message=self.key_message)
            reuse_text = reuse.reuse_sentence(**planned)
        return super().get_context_data(
            incident=self.incident,
            key_message=self.key_message,
            suggestion=self.suggestion,
            holding=self.holding,
            reuse_text=reuse_text,
            can_use_key_messages=self.can_use_key_messages,
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            statement = statement_create(
                actor=self.request.user,
                incident=self.incident,
                title=data["title"],
                channels=data["channels"],
                language=data["language"],
                audience=data["audience"],
                public_context=data.get("public_context", ""),
                body=data["body"],
                body_format=data["body_format"],
                facts=data.get("facts") or [],
                from_key_message=data.get("from_key_message"),
                ip_address=client_ip(self.request),
            )
        except (ValidationError, InvalidTransition) as error:
            service_error_on_form(form, error)
            return self.form_invalid(form)
        reused = reuse.actual_reuse(statement)
        if reused is not None:
            messages.success(self.request, _("Statement drafted. %s") % reuse.reuse_sentence(**reused))
        else:
            messages.success(self.request, _("Statement drafted. Submit it for review when it is ready."))
        return redirect(statement_url(statement))


class StatementKeyMessagePickView(LoginRequiredMixin, TemplateView):
    """Pick the approved, unexpired key message a new statement starts from: ranked for the incident, with reasons."""

    template_name = "statements/keymessage_pick.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.incident = visible_incident_or_404(request, kwargs["reference"])
        if not permissions.can_draft_statement_from_key_message(request.user, self.incident):
            raise PermissionDenied(_("You may not draft statements from key messages."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        form = KeyMessageLanguageForm(self.request.GET or None)
        language = (form.cleaned_data.get("language") if form.is_valid() else "") or None
        if not form.is_bound or not form.is_valid():
            form = KeyMessageLanguageForm(initial={"language": language or ""})
        # Ranked for the incident (category, language, kind), best first, each with its reason.
        suggestions = hooks.key_message_library().ranked(self.request.user, incident=self.incident, language=language)
        return super().get_context_data(incident=self.incident, form=form, suggestions=suggestions, **kwargs)


class StatementDetailView(LoginRequiredMixin, TemplateView):
    """A statement: its rendered text, status, copy per channel, revisions, approvals, live URLs and buttons."""

    template_name = "statements/statement_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        statement = visible_statement(self.request, self.kwargs["reference"], self.kwargs["pk"])
        policy = policy_for(statement)
        can_record_url = statement.status == ReviewStatus.PUBLISHED and policy.can(user, statement, Action.RECORD_URL)
        context = {
            "statement": statement,
            "incident": statement.incident,
            "rendered_body": statement.rendered_body(),
            "channel_texts": statement.channel_texts(),
            "facts": statement.facts.all(),
            "refuted_facts": list(statement.refuted_facts()) if statement.status == ReviewStatus.PUBLISHED else [],
            "revisions": statement.revisions().select_related("created_by"),
            "decisions": statement.decisions().select_related("reviewer", "revision"),
            "publications": statement.publications.select_related("recorded_by"),
            "record_url_form": RecordUrlForm(statement=statement) if can_record_url else None,
            "reuse_text": _reuse_text(statement),
            **action_context(user, statement),
            # Live: every review transition and timeline entry of the incident bumps its topic.
            "live_topics": [live.incident_topic(statement.incident_id)],
        }
        return super().get_context_data(**context, **kwargs)


def _reuse_text(statement: Statement) -> str | None:
    """What reusing a key message verbatim spared this statement and what it still needs, while it matters."""
    if statement.status not in (ReviewStatus.DRAFT, ReviewStatus.IN_REVIEW, ReviewStatus.APPROVED):
        return None
    reused = reuse.actual_reuse(statement)
    return reuse.reuse_sentence(**reused) if reused else None


class StatementEditView(LoginRequiredMixin, FormView):
    """Edit a statement: each save is a new revision through ``statement_update`` (an approval is voided)."""

    form_class = StatementEditForm
    template_name = "statements/statement_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.statement = visible_statement(request, kwargs["reference"], kwargs["pk"])
        if not policy_for(self.statement).can(request.user, self.statement, Action.EDIT):
            raise PermissionDenied(_("You may not edit this statement."))
        if self.statement.status not in TRANSITIONS[Action.EDIT]:
            messages.error(
                request,
                _("A %(status)s statement is not edited; withdraw it and write a new one.")
                % {"status": self.statement.get_status_display().lower()},
            )
            return redirect(statement_url(self.statement))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "incident": self.statement.incident}

    def get_initial(self):
        statement = self.statement
        return {
            "title": statement.title,
            "channels": statement.channels,
            "language": statement.language,
            "audience": statement.audience,
            "public_context": statement.public_context,
            "body_format": statement.body_format,
            "body": statement.body,
            "facts": list(statement.facts.values_list("pk", flat=True)),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(incident=self.statement.incident, statement=self.statement, **kwargs)

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        comment = data.pop("comment", "")
        before = self.statement.current_revision_id
        try:
            statement = statement_update(
                actor=self.request.user,
                statement=self.statement,
                comment=comment,
                ip_address=client_ip(self.request),
                **data,
            )
        except (ValidationError, InvalidTransition) as error:
            service_error_on_form(form, error)
            return self.form_invalid(form)
        if statement.current_revision_id == before:
            messages.info(self.request, _("Nothing changed."))
        elif statement.status == ReviewStatus.APPROVED:
            messages.success(
                self.request,
                _("Saved as revision %s; still word for word the approved key message.")
                % statement.current_revision.number,
            )
        else:
            messages.success(
                self.request,
                _("Saved as revision %s. It is a draft again: submit it for review.")
                % statement.current_revision.number,
            )
        return redirect(statement_url(statement))


class StatementTransitionView(ItemTransitionView):
    """Submit, approve, request changes, reject, publish or withdraw one statement."""

    def get_item(self):
        return visible_statement(self.request, self.kwargs["reference"], self.kwargs["pk"])


class StatementRecordUrlView(LoginRequiredMixin, View):
    """Record where a published statement went live on one channel."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        statement = visible_statement(request, kwargs["reference"], kwargs["pk"])
        if not policy_for(statement).can(request.user, statement, Action.RECORD_URL):
            raise PermissionDenied(_("You may not record live URLs."))
        form = RecordUrlForm(request.POST, statement=statement)
        if not form.is_valid():
            error_messages(request, form.errors)
            return redirect(statement_url(statement))
        try:
            statement_record_url(
                actor=request.user,
                statement=statement,
                channel=form.cleaned_data["channel"],
                url=form.cleaned_data["url"],
                ip_address=client_ip(request),
            )
        except InvalidTransition as error:
            messages.error(request, str(error))
        except ValidationError as error:
            error_messages(request, error)
        else:
            messages.success(request, _("Live URL recorded."))
        return redirect(statement_url(statement))


class IncidentAuditView(LoginRequiredMixin, TemplateView):
    """Every audit event of an incident's statements, newest first: read-only."""

    template_name = "review/audit_trail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        incident = visible_incident_or_404(self.request, self.kwargs["reference"])
        if not permissions.can_view_statements(user, incident):
            raise PermissionDenied
        events = AuditEvent.objects.filter(
            incident=incident, content_type=ContentType.objects.get_for_model(Statement)
        ).select_related("actor", "revision")
        statements = {statement.pk: statement for statement in incident.statements.all()}
        rows = [(event, statements.get(event.object_id)) for event in events]
        return super().get_context_data(incident=incident, incident_rows=rows, **kwargs)
