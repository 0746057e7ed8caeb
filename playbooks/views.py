"""Browser views for playbooks, their versions, exercises, and the war room's checklist actions.

Thin views: validate a form, call ``playbooks.services`` / ``incidents.checklist.services`` (or the review
engine for the workflow buttons), map errors, redirect. Outsiders (no CrisisDesk role) get 403 on
lists and 404 on items; incidents are always looked up through ``Incident.objects.visible_to``.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.forms import apply_service_error, style_filter_form
from crisisdesk.review import services as review
from crisisdesk.review.models import Action
from crisisdesk.review.views import REVIEWER_ACTIONS, ItemTransitionView, client_ip
from playbooks import services
from playbooks.filtersets import PlaybookFilterSet
from playbooks.forms import ExerciseForm, ExerciseRecordForm, PlaybookCreateForm, PlaybookForm, StepFormSet, VersionForm
from playbooks.models import Exercise, ExerciseStatus, Playbook, PlaybookStep, PlaybookVersion

VIEW_PERMISSION = "playbooks.view_playbook"


def visible_playbook(request, pk: int) -> Playbook:
    return get_object_or_404(Playbook.objects.visible_to(request.user).select_related("owner", "active_version"), pk=pk)


def visible_version(request, pk: int, number: int) -> PlaybookVersion:
    playbook = visible_playbook(request, pk)
    return get_object_or_404(
        PlaybookVersion.objects.select_related("playbook", "current_revision", "created_by"),
        playbook=playbook,
        number=number,
    )


def _form_error(form, error) -> None:
    if isinstance(error, ValidationError):
        apply_service_error(form, error)
    else:
        form.add_error(None, str(error))


def _steps_from_formset(formset) -> list[dict]:
    return [
        {key: form.cleaned_data.get(key) for key in ("title", "role", "within_minutes", "instructions")}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("title")
    ]


def version_action_context(user, version: PlaybookVersion) -> dict:
    """The workflow buttons of a version (the engine's ``available_actions``), for review/partials/workflow.html."""
    actions = review.available_actions(user=user, item=version)
    return {
        "actions": actions,
        "author_actions": [a for a in actions if a == Action.SUBMIT],
        "reviewer_actions": [a for a in actions if a in REVIEWER_ACTIONS],
        "can_edit": Action.EDIT in actions,
        "transition_url": reverse(
            "playbooks:version_transition", kwargs={"pk": version.playbook_id, "number": version.number}
        ),
        "review_url": version.get_absolute_url(),
        "missing_requirements": review.missing_requirements(version) if version.current_revision_id else [],
    }


# --- playbooks ---------------------------------------------------------------------------------------------------


class PlaybookListView(PermissionRequiredMixin, ListView):
    """Playbooks filtered by the shared PlaybookFilterSet; stale ones (review overdue) flagged."""

    permission_required = VIEW_PERMISSION
    template_name = "playbooks/playbook_list.html"
    context_object_name = "playbooks"
    paginate_by = 50

    @cached_property
    def filterset(self) -> PlaybookFilterSet:
        queryset = (
            Playbook.objects.visible_to(self.request.user)
            .select_related("owner", "active_version")
            .annotate(open_versions=Count("versions", filter=Q(versions__status__in=["draft", "in_review"])))
            .order_by("scenario", "language", "title", "id")
        )
        filterset = PlaybookFilterSet(self.request.GET or None, queryset=queryset, request=self.request)
        style_filter_form(filterset.form)
        for field in filterset.form.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
        return filterset

    def get_queryset(self):
        return self.filterset.qs if self.filterset.is_bound else self.filterset.queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filter_form=self.filterset.form,
            today=timezone.localdate(),
            can_create=self.request.user.has_perm("playbooks.add_playbook"),
            **kwargs,
        )


class PlaybookCreateView(PermissionRequiredMixin, FormView):
    """A new playbook with its first version (a draft for a team lead's review)."""

    permission_required = "playbooks.add_playbook"
    form_class = PlaybookCreateForm
    template_name = "playbooks/playbook_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        return {"owner": self.request.user.pk}

    @cached_property
    def formset(self):
        return StepFormSet(self.request.POST or None, prefix="steps")

    def get_context_data(self, **kwargs):
        return super().get_context_data(formset=self.formset, **kwargs)

    def form_valid(self, form):
        if not self.formset.is_valid():
            return self.form_invalid(form)
        try:
            playbook = services.playbook_create(
                actor=self.request.user,
                steps=_steps_from_formset(self.formset),
                ip_address=client_ip(self.request),
                **form.cleaned_data,
            )
        except (ValidationError, InvalidTransition, PermissionDenied) as error:
            _form_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Playbook drafted. Submit version 1 for a team lead's review."))
        return redirect("playbooks:version", pk=playbook.pk, number=1)


class PlaybookDetailView(LoginRequiredMixin, TemplateView):
    """A playbook: its active version with steps, every version, and its exercises."""

    template_name = "playbooks/playbook_detail.html"

    def get_context_data(self, **kwargs):
        playbook = visible_playbook(self.request, self.kwargs["pk"])
        active = playbook.active_version
        steps = list(active.steps.select_related("role")) if active else []
        return super().get_context_data(
            playbook=playbook,
            active=active,
            steps=steps,
            key_messages=list(active.key_messages.all()) if active else [],
            versions=list(playbook.versions.select_related("created_by").order_by("-number")),
            exercises=list(playbook.exercises.select_related("incident")),
            can_manage=services.can_manage_playbook(self.request.user, playbook),
            can_draft=services.can_draft_version(self.request.user),
            can_schedule=self.request.user.has_perm("playbooks.add_exercise"),
            **kwargs,
        )


class PlaybookEditView(LoginRequiredMixin, FormView):
    """Owner, review date and title through ``playbook_update``."""

    form_class = PlaybookForm
    template_name = "playbooks/playbook_edit.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.playbook = visible_playbook(request, kwargs["pk"])
        if not services.can_manage_playbook(request.user, self.playbook):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {name: getattr(self.playbook, name) for name in services.PLAYBOOK_FIELDS}

    def get_context_data(self, **kwargs):
        return super().get_context_data(playbook=self.playbook, **kwargs)

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        if data.get("owner") is None:
            data.pop("owner")
        try:
            services.playbook_update(actor=self.request.user, playbook=self.playbook, **data)
        except ValidationError as error:
            _form_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Playbook updated."))
        return redirect(self.playbook)


class VersionNewView(LoginRequiredMixin, View):
    """Draft the next version from the newest one."""

    http_method_names = ["post"]

    def post(self, request, pk):
        playbook = visible_playbook(request, pk)
        try:
            version = services.playbook_version_create(
                actor=request.user, playbook=playbook, ip_address=client_ip(request)
            )
        except InvalidTransition as error:
            messages.error(request, str(error))
            return redirect(playbook)
        messages.success(request, _("Version %s drafted from the newest one.") % version.number)
        return redirect("playbooks:version_edit", pk=playbook.pk, number=version.number)


class VersionDetailView(LoginRequiredMixin, TemplateView):
    """One version, readable forever: content, steps, review state, workflow buttons."""

    template_name = "playbooks/version_detail.html"

    def get_context_data(self, **kwargs):
        version = visible_version(self.request, self.kwargs["pk"], self.kwargs["number"])
        return super().get_context_data(
            version=version,
            playbook=version.playbook,
            item=version,
            steps=list(version.steps.select_related("role")),
            key_messages=list(version.key_messages.all()),
            is_active=version.playbook.active_version_id == version.pk,
            revisions=version.revisions().select_related("created_by"),
            decisions=version.decisions().select_related("reviewer", "revision"),
            **version_action_context(self.request.user, version),
            **kwargs,
        )


class VersionEditView(LoginRequiredMixin, FormView):
    """Edit a draft or in-review version and its steps: a new revision, back to draft."""

    form_class = VersionForm
    template_name = "playbooks/version_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.version = visible_version(request, kwargs["pk"], kwargs["number"])
        if Action.EDIT not in review.available_actions(user=request.user, item=self.version):
            if not request.user.has_perm("playbooks.change_playbookversion"):
                raise PermissionDenied
            messages.error(request, _("An approved version is never edited; draft a new version instead."))
            return redirect(self.version.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        initial = {name: getattr(self.version, name) for name in services.VERSION_FIELDS}
        initial["key_messages"] = list(self.version.key_messages.all())
        return initial

    @cached_property
    def formset(self):
        initial = [
            {"title": s.title, "role": s.role, "within_minutes": s.within_minutes, "instructions": s.instructions}
            for s in PlaybookStep.objects.filter(version=self.version).select_related("role")
        ]
        return StepFormSet(self.request.POST or None, prefix="steps", initial=initial)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            version=self.version, playbook=self.version.playbook, formset=self.formset, **kwargs
        )

    def form_valid(self, form):
        if not self.formset.is_valid():
            return self.form_invalid(form)
        data = dict(form.cleaned_data)
        key_messages = data.pop("key_messages")
        try:
            services.playbook_version_update(
                actor=self.request.user,
                version=self.version,
                steps=_steps_from_formset(self.formset),
                key_messages=key_messages,
                ip_address=client_ip(self.request),
                **data,
            )
        except (ValidationError, InvalidTransition) as error:
            _form_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved. Submit the version for a team lead's review when it is ready."))
        return redirect(self.version.get_absolute_url())


class VersionTransitionView(ItemTransitionView):
    """Submit, approve, request changes or reject one playbook version."""

    def get_item(self):
        return visible_version(self.request, self.kwargs["pk"], self.kwargs["number"])

    def next_url(self, item) -> str:
        return item.get_absolute_url()


# --- exercises ---------------------------------------------------------------------------------------------------


class ExerciseCreateView(LoginRequiredMixin, FormView):
    """Schedule a drill of a playbook."""

    form_class = ExerciseForm
    template_name = "exercises/exercise_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.playbook = visible_playbook(request, kwargs["pk"])
        if not request.user.has_perm("playbooks.add_exercise"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(playbook=self.playbook, **kwargs)

    def form_valid(self, form):
        try:
            exercise = services.exercise_schedule(actor=self.request.user, playbook=self.playbook, **form.cleaned_data)
        except ValidationError as error:
            _form_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Exercise scheduled."))
        return redirect(exercise)


def visible_exercise(request, pk: int) -> Exercise:
    return get_object_or_404(
        Exercise.objects.visible_to(request.user).select_related("playbook", "incident", "created_by"), pk=pk
    )


class ExerciseDetailView(LoginRequiredMixin, FormView):
    """A drill: participants, findings and follow-up actions (recorded by a team lead), and "run as exercise"."""

    form_class = ExerciseRecordForm
    template_name = "exercises/exercise_detail.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.exercise = visible_exercise(request, kwargs["pk"])
        self.can_manage = services.can_manage_exercises(request.user)
        if request.method == "POST" and not self.can_manage:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {
            "participants": list(self.exercise.participants.all()),
            "findings": self.exercise.findings,
            "follow_up_actions": self.exercise.follow_up_actions,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            exercise=self.exercise,
            participants=list(self.exercise.participants.select_related("department")),
            can_manage=self.can_manage,
            can_run=services.exercise_run_refusal(actor=self.request.user, exercise=self.exercise) is None,
            **kwargs,
        )

    def form_valid(self, form):
        try:
            services.exercise_update(actor=self.request.user, exercise=self.exercise, **form.cleaned_data)
        except (ValidationError, InvalidTransition) as error:
            _form_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Exercise recorded."))
        return redirect(self.exercise)


class ExerciseActionView(LoginRequiredMixin, View):
    """Run as exercise, mark completed or cancelled."""

    http_method_names = ["post"]

    def post(self, request, pk):
        exercise = visible_exercise(request, pk)
        action = request.POST.get("action", "")
        try:
            if action == "run":
                incident = services.exercise_run(actor=request.user, exercise=exercise)
                messages.success(
                    request, _("Exercise incident %s opened and the playbook activated.") % incident.reference
                )
                return redirect(incident)
            if action in (ExerciseStatus.COMPLETED, ExerciseStatus.CANCELLED):
                services.exercise_change_status(actor=request.user, exercise=exercise, to_status=action)
                messages.success(request, _("Exercise updated."))
            else:
                messages.error(request, _("Unknown action."))
        except (InvalidTransition, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect(exercise)


# --- the war room's checklist ------------------------------------------------------------------------------------
