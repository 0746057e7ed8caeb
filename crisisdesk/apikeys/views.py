"""Browser pages for integration API keys: list, create (the raw key is shown once), revoke.

Thin views: a form is validated, a service from ``crisisdesk.apikeys.services`` writes. Only
users for whom ``services.can_manage_keys`` holds (team leads, superusers) get in; everyone
else gets 403. A team lead sees the keys they created or that act as them; another key is 404.

The raw key exists only in the response to the creating POST: it is rendered there (never
redirected to, put in a URL, a message, the session or a log) and that response is marked
``no-store`` so no cache keeps it.
"""

from django.contrib import messages
from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import ValidationError
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView

from crisisdesk.forms import apply_service_error

from . import services
from .forms import APIKeyForm
from .models import APIKey, Scope

SCOPE_LABELS = dict(Scope.choices)


def manageable_keys(user):
    """``APIKey.objects.manageable_by(user)``, with what the pages show of each key."""
    return APIKey.objects.select_related("user", "created_by").manageable_by(user)


class KeyManagerRequiredMixin(UserPassesTestMixin):
    """Anonymous visitors are sent to log in; signed-in users who may not manage keys get 403."""

    def test_func(self) -> bool:
        return services.can_manage_keys(self.request.user)


class APIKeyListView(KeyManagerRequiredMixin, ListView):
    """Every key the user may manage, revoked ones included (greyed), with scopes and last use."""

    template_name = "apikeys/apikey_list.html"
    context_object_name = "keys"

    def get_queryset(self):
        # Active keys first (by name), then revoked ones (oldest revocation first).
        return manageable_keys(self.request.user).order_by(F("revoked_at").asc(nulls_first=True), "name", "id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for key in context["keys"]:
            key.scope_labels = [str(SCOPE_LABELS.get(scope, scope)) for scope in key.scopes]
        return context


class APIKeyCreateView(KeyManagerRequiredMixin, FormView):
    """Create a key and show its raw value on the response page, once."""

    template_name = "apikeys/apikey_form.html"
    form_class = APIKeyForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}

    def form_valid(self, form):
        try:
            key, raw_key = services.apikey_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        # Rendered, not redirected: the raw key is not stored anywhere, so this response is the
        # only place it can ever appear.
        response = self.response_class(
            request=self.request,
            template=["apikeys/apikey_created.html"],
            context={
                "key": key,
                "raw_key": raw_key,
                "scope_labels": [str(SCOPE_LABELS[scope]) for scope in key.scopes],
                "bulk_url": self.request.build_absolute_uri(reverse("api:mention-bulk")),
            },
            using=self.template_engine,
        )
        add_never_cache_headers(response)
        return response


class APIKeyRevokeView(KeyManagerRequiredMixin, TemplateView):
    """GET: a confirmation page. POST: revoke the key (idempotent) and go back to the list."""

    template_name = "apikeys/apikey_revoke.html"

    @cached_property
    def key(self) -> APIKey:
        return get_object_or_404(manageable_keys(self.request.user), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(key=self.key, **kwargs)

    def post(self, request, *args, **kwargs):
        was_active = self.key.is_active
        services.apikey_revoke(actor=request.user, key=self.key)
        if was_active:
            messages.success(
                request, _("Key “%(name)s” revoked: requests using it now get 401.") % {"name": self.key.name}
            )
        else:
            messages.info(request, _("Key “%(name)s” was already revoked.") % {"name": self.key.name})
        return redirect("apikeys:list")
