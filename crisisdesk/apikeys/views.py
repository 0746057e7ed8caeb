"""Browser pages for integration API keys: list, create (the raw key is shown once), revoke.

Approval grants (``grants``): a team lead lets a key, or a person's personal token (``tokens/``),
approve, publish and withdraw; enabling needs their own second factor confirmed lately.

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
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from crisisdesk.forms import apply_service_error
from crisisdesk.twofactor.stepup import StepUpRequired, confirm_url, page_of, require_recent_factor

from . import grants, services
from .forms import APIKeyForm
from .models import APIKey, ApprovalGrant, Scope

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
        by_key = grants.grants_by_key(context["keys"])
        for key in context["keys"]:
            key.scope_labels = [str(SCOPE_LABELS.get(scope, scope)) for scope in key.scopes]
            key.grant = by_key.get(key.pk)
        context["may_grant"] = grants.can_grant_approvals(self.request.user)
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


# --- approval grants (crisisdesk.apikeys.grants) ---------------------------------------------------------


class GrantManagerRequiredMixin(UserPassesTestMixin):
    """Team leads and superusers; signed-in users who may not grant approvals get 403."""

    def test_func(self) -> bool:
        return grants.can_grant_approvals(self.request.user)


class GrantChangeView(GrantManagerRequiredMixin, View):
    """POST ``action=enable`` (needs the team lead's recent second factor) or ``action=revoke``."""

    http_method_names = ["post"]

    def target(self) -> dict:
        raise NotImplementedError

    def active_grant(self, target: dict):
        raise NotImplementedError

    def back(self) -> str:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        target = self.target()
        action = request.POST.get("action")
        if action == "enable":
            try:
                factor = require_recent_factor(request)
                grants.grant_enable(actor=request.user, factor=factor, **target)
            except StepUpRequired:
                return redirect(confirm_url(page_of(request, self.back())))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Approvals enabled: this token may now approve, publish and withdraw."))
        elif action == "revoke":
            grant = self.active_grant(target)
            if grant is not None:
                grants.grant_revoke(actor=request.user, grant=grant)
            messages.success(request, _("Approvals revoked: this token gets 403 on approve, publish and withdraw."))
        else:
            return HttpResponseBadRequest(_("Unknown action."))
        return redirect(self.back())


class APIKeyGrantView(KeyManagerRequiredMixin, GrantChangeView):
    """Approvals for one integration key (one the team lead may manage; another is 404)."""

    def test_func(self) -> bool:
        return services.can_manage_keys(self.request.user) and grants.can_grant_approvals(self.request.user)

    def target(self) -> dict:
        return {"api_key": get_object_or_404(manageable_keys(self.request.user), pk=self.kwargs["pk"])}

    def active_grant(self, target: dict):
        return ApprovalGrant.objects.active().filter(api_key=target["api_key"]).first()

    def back(self) -> str:
        return reverse("apikeys:list")


class TokenListView(GrantManagerRequiredMixin, ListView):
    """Every active person's personal token (never its value) and whether it may approve."""

    template_name = "apikeys/token_list.html"
    context_object_name = "tokens"

    def get_queryset(self):
        return grants.tokens_for_granting()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        by_user = grants.grants_by_token_user([token.user_id for token in context["tokens"]])
        for token in context["tokens"]:
            token.grant = by_user.get(token.user_id)
        return context


class TokenGrantView(GrantChangeView):
    """Approvals for the personal token of one active person (404 if they have none)."""

    def target(self) -> dict:
        token = get_object_or_404(grants.tokens_for_granting(), user_id=self.kwargs["user_id"])
        return {"token_user": token.user}

    def active_grant(self, target: dict):
        return ApprovalGrant.objects.active().filter(token_user=target["token_user"]).first()

    def back(self) -> str:
        return reverse("apikeys:tokens")
