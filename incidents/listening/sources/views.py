"""Browser pages of sources: the list with health, one source (history, Fetch now, pause), add and edit."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from crisisdesk.forms import apply_service_error
from incidents.listening.sources import polling, services
from incidents.listening.sources.forms import SourceForm
from incidents.listening.sources.models import Source


class SourceListView(PermissionRequiredMixin, ListView):
    """Every source with its health; failing ones first."""

    permission_required = "incidents.view_source"
    template_name = "mentions/sources.html"
    context_object_name = "sources"

    def get_queryset(self):
        return Source.objects.visible_to(self.request.user).with_fetched()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_manage"] = services.can_manage_sources(self.request.user)
        context["failing_minutes"] = services.failing_minutes()
        return context


class SourceDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "incidents.view_source"
    template_name = "mentions/source_detail.html"
    context_object_name = "source"

    def get_queryset(self):
        return Source.objects.visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["runs"] = self.object.runs.all()[:20]
        context["can_manage"] = services.can_manage_sources(self.request.user)
        return context


class SourceFormView(PermissionRequiredMixin, FormView):
    permission_required = "incidents.change_source"
    template_name = "mentions/source_form.html"
    form_class = SourceForm

    def get_source(self):
        pk = self.kwargs.get("pk")
        return get_object_or_404(Source.objects.visible_to(self.request.user), pk=pk) if pk else None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["source"] = self.get_source()
        return kwargs

    def form_valid(self, form):
        data = form.cleaned_data
        source = self.get_source()
        fields = {k: data[k] for k in ("name", "config", "enabled", "poll_interval_seconds", "max_requests_per_minute")}
        if source is None:
            fields["kind"] = data["kind"]
        try:
            source = services.source_save(
                actor=self.request.user,
                source=source,
                data=fields,
                credentials=form.credentials(),
                watch_terms=data["watch_terms"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Source saved."))
        return redirect(source.get_absolute_url())


class SourceActionView(PermissionRequiredMixin, View):
    """POST: Fetch now, pause or resume (team leads)."""

    permission_required = "incidents.view_source"

    def post(self, request, pk: int, verb: str):
        source = get_object_or_404(Source.objects.visible_to(request.user), pk=pk)
        if not services.can_manage_sources(request.user):
            raise PermissionDenied(_("Only team leads manage sources."))
        if verb == "fetch":
            polling.source_poll(source=source, force=True)
            source.refresh_from_db()
            if source.failing_since:
                messages.error(request, _("The fetch failed: %(error)s") % {"error": source.last_error})
            else:
                messages.success(request, _("Fetched."))
        elif verb in ("pause", "resume"):
            services.source_set_enabled(actor=request.user, source=source, enabled=verb == "resume")
        else:
            raise PermissionDenied
        return redirect(source.get_absolute_url())
