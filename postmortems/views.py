"""Browser views of post-crisis reviews, action items, the lessons library and the metrics dashboard.

Thin views: look the review up through ``PostmortemReview.objects.visible_to`` (404 for a hidden
incident), validate a form, call ``postmortems.services`` or the review engine, map the errors,
redirect. Workflow buttons are ``crisisdesk.review.views.ItemTransitionView``.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.forms import apply_service_error
from crisisdesk.review.models import Action, ReviewStatus
from crisisdesk.review.policy import policy_for
from crisisdesk.review.services import TRANSITIONS
from crisisdesk.review.views import ItemTransitionView, action_context, client_ip, error_messages
from postmortems import charts, metrics, selectors, services
from postmortems.export import review_document, review_markdown
from postmortems.filtersets import PostmortemFilterSet
from postmortems.forms import ActionItemForm, ActionItemStatusForm, LibrarySearchForm, MetricsFilterForm, PostmortemForm
from postmortems.models import ActionItem, PostmortemReview


def visible_review(request, pk: int) -> PostmortemReview:
    """Look a review up as this user sees it: 404 when it does not exist or its incident is hidden."""
    return get_object_or_404(
        PostmortemReview.objects.visible_to(request.user).select_related(
            "incident", "incident__lead", "current_revision", "created_by", "published_by"
        ),
        pk=pk,
    )


def _require_view_perm(user) -> None:
    if not user.has_perm("postmortems.view_postmortemreview"):
        raise PermissionDenied


class PostmortemListView(LoginRequiredMixin, TemplateView):
    """Every review the user may see, newest first, filtered by status, category, severity."""

    template_name = "postmortems/review_list.html"

    def get_context_data(self, **kwargs):
        _require_view_perm(self.request.user)
        queryset = PostmortemReview.objects.visible_to(self.request.user).select_related("incident", "created_by")
        filterset = PostmortemFilterSet(self.request.GET or None, queryset=queryset, request=self.request)
        return super().get_context_data(filter=filterset, reviews=filterset.qs, **kwargs)


class PostmortemDetailView(LoginRequiredMixin, TemplateView):
    """A review: sections, impact, metrics, timeline, statements, action items, and the workflow buttons."""

    template_name = "postmortems/review_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        item = visible_review(self.request, self.kwargs["pk"])
        context = {
            "review": item,
            "incident": item.incident,
            "wording_warnings": [
                (PostmortemReview._meta.get_field(field).verbose_name, words)
                for field, words in services.wording_warnings(item).items()
            ],
            "can_manage_actions": services.can_manage_action_items(user, item),
            "status_form": ActionItemStatusForm(),
            "today": timezone.localdate(),
            **review_document(item),
            **action_context(user, item),
        }
        return super().get_context_data(**context, **kwargs)


class PostmortemEditView(LoginRequiredMixin, FormView):
    """Edit a review's sections: each save is a new revision (an approval is voided); blame words are flagged."""

    form_class = PostmortemForm
    template_name = "postmortems/review_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.review = visible_review(request, kwargs["pk"])
        if not policy_for(self.review).can(request.user, self.review, Action.EDIT):
            raise PermissionDenied(_("You may not edit this review."))
        if self.review.status not in TRANSITIONS[Action.EDIT]:
            messages.error(request, _("A %s review is not edited.") % self.review.get_status_display().lower())
            return redirect(self.review.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        # An unbound copy: the service, not the form, writes the instance.
        return {**super().get_form_kwargs(), "instance": PostmortemReview.objects.get(pk=self.review.pk)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(review=self.review, incident=self.review.incident, **kwargs)

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        comment = data.pop("comment", "")
        before = self.review.current_revision_id
        try:
            item = services.postmortem_update(
                actor=self.request.user,
                review_item=self.review,
                comment=comment,
                ip_address=client_ip(self.request),
                **data,
            )
        except (ValidationError, InvalidTransition) as error:
            if isinstance(error, ValidationError):
                apply_service_error(form, error)
            else:
                form.add_error(None, str(error))
            return self.form_invalid(form)
        if item.current_revision_id == before:
            messages.info(self.request, _("Nothing changed."))
        else:
            messages.success(self.request, _("Saved as revision %s.") % item.current_revision.number)
        for field, words in services.wording_warnings(item).items():
            messages.warning(
                self.request,
                _("Blameless wording? “%(section)s” uses: %(words)s. Describe what the system allowed, not who erred.")
                % {"section": PostmortemReview._meta.get_field(field).verbose_name, "words": ", ".join(words)},
            )
        return redirect(item.get_absolute_url())


class PostmortemRefreshImpactView(LoginRequiredMixin, View):
    """POST: fill the impact fields from the mention data (typed values kept unless "replace" is ticked)."""

    def post(self, request, *args, **kwargs):
        item = visible_review(request, kwargs["pk"])
        try:
            item, changed = services.postmortem_refresh_impact(
                actor=request.user,
                review_item=item,
                overwrite=request.POST.get("overwrite") == "1",
                ip_address=client_ip(request),
            )
        except InvalidTransition as error:
            messages.error(request, str(error))
            return redirect(item.get_absolute_url())
        if changed:
            labels = ", ".join(str(PostmortemReview._meta.get_field(f).verbose_name) for f in changed)
            messages.success(request, _("Impact refreshed from the data: %s.") % labels)
        else:
            messages.info(request, _("Nothing changed: the impact fields already hold these values or typed ones."))
        return redirect(item.get_absolute_url())


class PostmortemTransitionView(ItemTransitionView):
    """Submit, approve, request changes, reject, publish or withdraw one review."""

    def get_item(self):
        return visible_review(self.request, self.kwargs["pk"])


def _published_review(request, pk) -> PostmortemReview:
    item = visible_review(request, pk)
    if item.status != ReviewStatus.PUBLISHED:
        raise Http404(_("Only a published review is exported."))
    return item


class PostmortemPrintView(LoginRequiredMixin, TemplateView):
    """A published review as one printable page (print CSS, no navigation)."""

    template_name = "postmortems/review_print.html"

    def get_context_data(self, **kwargs):
        item = _published_review(self.request, self.kwargs["pk"])
        return super().get_context_data(review=item, incident=item.incident, **review_document(item), **kwargs)


class PostmortemMarkdownView(LoginRequiredMixin, View):
    """A published review as a Markdown file download."""

    def get(self, request, *args, **kwargs):
        item = _published_review(request, kwargs["pk"])
        response = HttpResponse(review_markdown(item), content_type="text/markdown; charset=utf-8")
        filename = f"{item.incident.reference}-{slugify(item.title)[:60] or 'review'}.md"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


# --- action items ------------------------------------------------------------------------------------------


class ActionItemCreateView(LoginRequiredMixin, FormView):
    """Add an action item to a review."""

    form_class = ActionItemForm
    template_name = "postmortems/action_item_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.review = visible_review(request, kwargs["pk"])
        if not services.can_manage_action_items(request.user, self.review):
            raise PermissionDenied(_("You may not add action items to this review."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(review=self.review, **kwargs)

    def form_valid(self, form):
        try:
            services.action_item_create(actor=self.request.user, review_item=self.review, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Action item added."))
        return redirect(self.review.get_absolute_url())


def visible_action_item(request, pk: int) -> ActionItem:
    return get_object_or_404(
        ActionItem.objects.visible_to(request.user).select_related("review__incident", "owner"), pk=pk
    )


class ActionItemEditView(LoginRequiredMixin, FormView):
    """Edit an action item's title, owner, due date, priority or playbook."""

    form_class = ActionItemForm
    template_name = "postmortems/action_item_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.action_item = visible_action_item(request, kwargs["pk"])
        if not services.can_manage_action_items(request.user, self.action_item.review):
            raise PermissionDenied(_("You may not edit this action item."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        instance = ActionItem.objects.get(pk=self.action_item.pk)
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": instance}

    def get_context_data(self, **kwargs):
        return super().get_context_data(review=self.action_item.review, action_item=self.action_item, **kwargs)

    def form_valid(self, form):
        try:
            services.action_item_update(actor=self.request.user, action_item=self.action_item, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Action item saved."))
        return redirect(self.action_item.review.get_absolute_url())


class ActionItemStatusView(LoginRequiredMixin, View):
    """Move an action item to another status (its owner or a team lead)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        action_item = visible_action_item(request, kwargs["pk"])
        if not services.can_change_action_item_status(request.user, action_item):
            raise PermissionDenied(_("You may not change this action item."))
        form = ActionItemStatusForm(request.POST)
        if not form.is_valid():
            error_messages(request, form.errors)
        else:
            try:
                services.action_item_set_status(
                    actor=request.user, action_item=action_item, status=form.cleaned_data["status"]
                )
            except InvalidTransition as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Action item updated."))
        target = request.POST.get("next") == "mine"
        return redirect(reverse("postmortems:my_actions") if target else action_item.review.get_absolute_url())


class MyActionItemsView(LoginRequiredMixin, TemplateView):
    """The action items the signed-in user owns, open ones first, earliest due first."""

    template_name = "postmortems/my_action_items.html"

    def get_context_data(self, **kwargs):
        if not self.request.user.has_perm("postmortems.view_actionitem"):
            raise PermissionDenied
        items = list(selectors.action_items_of(self.request.user))
        return super().get_context_data(action_items=items, today=timezone.localdate(), **kwargs)


# --- library and metrics ------------------------------------------------------------------------------------


class LibraryView(LoginRequiredMixin, TemplateView):
    """Published reviews, searchable by words, category, severity and year."""

    template_name = "postmortems/library.html"

    def get_context_data(self, **kwargs):
        _require_view_perm(self.request.user)
        form = LibrarySearchForm(self.request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        reviews = selectors.library(
            self.request.user,
            text=data.get("q") or "",
            category=data.get("category") or "",
            severity=data.get("severity"),
            year=data.get("year"),
        )
        return super().get_context_data(form=form, reviews=reviews[:100], **kwargs)


class MetricsView(LoginRequiredMixin, TemplateView):
    """Median and p90 response times by severity and by month, as SVG charts and tables (exercises excluded)."""

    template_name = "postmortems/metrics.html"

    def get_context_data(self, **kwargs):
        form = MetricsFilterForm(self.request.GET or None)
        year = form.cleaned_data.get("year") if form.is_valid() else None
        data = metrics.dashboard(self.request.user, year=year)
        sections = []
        for name, label in data["metrics"]:
            sections.append(
                {
                    "name": name,
                    "label": label,
                    "severity_chart": charts.bar_chart(_("%s by severity") % label, data["by_severity"], name),
                    "month_chart": charts.bar_chart(_("%s by month") % label, data["by_month"], name),
                }
            )
        return super().get_context_data(form=form, data=data, sections=sections, **kwargs)
