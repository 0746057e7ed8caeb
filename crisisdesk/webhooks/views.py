"""Browser pages for team leads: webhook subscriptions, their secrets, and the delivery log with redeliver.

Thin views: a form is validated, a service from ``crisisdesk.webhooks.services`` writes,
and its errors become form errors or messages. Everyone without the ``webhooks``
permissions gets 403; a delivery of a confidential incident the user may not see is 404.
"""

import json

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.forms import apply_service_error

from . import permissions, services
from .filtersets import DeliveryFilterSet
from .forms import SubscriptionForm
from .models import Delivery, DeliveryStatus, Subscription

VIEW_PERMISSION = "webhooks.view_subscription"


def _deliveries(user):
    return Delivery.objects.visible_to(user).select_related("event", "subscription", "event__incident")


class SubscriptionListView(PermissionRequiredMixin, ListView):
    """Every subscription with its delivery counts."""

    permission_required = VIEW_PERMISSION
    template_name = "webhooks/subscription_list.html"
    context_object_name = "subscriptions"

    def get_queryset(self):
        return Subscription.objects.visible_to(self.request.user).annotate(
            delivered_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
            failing_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.RETRYING)),
            dead_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DEAD)),
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_create=permissions.can_create(self.request.user), **kwargs)


class SubscriptionCreateView(PermissionRequiredMixin, FormView):
    """Subscribe an endpoint; the new secret is shown right after."""

    permission_required = "webhooks.add_subscription"
    template_name = "webhooks/subscription_form.html"
    form_class = SubscriptionForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            subscription = services.subscription_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Subscription created. Copy its signing secret into the receiver now."))
        return redirect("webhooks:secret", pk=subscription.pk)


class SubscriptionMixin(PermissionRequiredMixin):
    """Looks up the subscription in the URL among those the user may see."""

    permission_required = VIEW_PERMISSION

    @cached_property
    def subscription(self) -> Subscription:
        return get_object_or_404(Subscription.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def require_manage(self) -> None:
        if not permissions.can_manage(self.request.user, self.subscription):
            raise PermissionDenied(_("You may not change this webhook subscription."))


class SubscriptionDetailView(SubscriptionMixin, ListView):
    """A subscription's settings and its recent deliveries."""

    template_name = "webhooks/subscription_detail.html"
    context_object_name = "deliveries"
    paginate_by = 25

    def get_queryset(self):
        return _deliveries(self.request.user).filter(subscription=self.subscription)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            subscription=self.subscription,
            can_manage=permissions.can_manage(self.request.user, self.subscription),
            can_redeliver=permissions.can_redeliver(self.request.user),
            **kwargs,
        )


class SubscriptionEditView(SubscriptionMixin, FormView):
    """Change a subscription through ``subscription_update``."""

    template_name = "webhooks/subscription_form.html"
    form_class = SubscriptionForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.has_permission():
            self.require_manage()
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        s = self.subscription
        return {
            "name": s.name,
            "url": s.url,
            "event_types": s.event_types,
            "is_active": s.is_active,
            "include_confidential": s.include_confidential,
            "include_internal_drafts": s.include_internal_drafts,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(subscription=self.subscription, **kwargs)

    def form_valid(self, form):
        try:
            services.subscription_update(actor=self.request.user, subscription=self.subscription, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Subscription saved."))
        return redirect(self.subscription)


class SubscriptionSecretView(SubscriptionMixin, DetailView):
    """The signing secret, on demand, to those who may manage the subscription; never cached."""

    template_name = "webhooks/subscription_secret.html"
    context_object_name = "subscription"

    def get_object(self, queryset=None):
        self.require_manage()
        return self.subscription

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        add_never_cache_headers(response)
        return response


class SubscriptionActionView(SubscriptionMixin, View):
    """Base of the small POST endpoints on a subscription (activate, deactivate, rotate the secret)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.require_manage()
        try:
            self.act()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(self.subscription)

    def act(self) -> None:
        raise NotImplementedError


class SubscriptionToggleView(SubscriptionActionView):
    """Activate or deactivate (``active=1`` / ``active=0``)."""

    def act(self) -> None:
        active = self.request.POST.get("active") == "1"
        services.subscription_set_active(actor=self.request.user, subscription=self.subscription, active=active)
        if active:
            messages.success(self.request, _("Subscription activated."))
        else:
            messages.success(self.request, _("Subscription deactivated: it receives nothing until activated again."))


class SubscriptionRotateSecretView(SubscriptionActionView):
    """Replace the signing secret and show the new one."""

    def post(self, request, *args, **kwargs):
        self.require_manage()
        services.subscription_rotate_secret(actor=request.user, subscription=self.subscription)
        messages.success(request, _("New signing secret generated: the old one no longer verifies."))
        return redirect("webhooks:secret", pk=self.subscription.pk)


class DeliveryListView(PermissionRequiredMixin, ListView):
    """The delivery log across subscriptions, filtered by the shared DeliveryFilterSet."""

    permission_required = "webhooks.view_delivery"
    template_name = "webhooks/delivery_list.html"
    context_object_name = "deliveries"
    paginate_by = 50

    @cached_property
    def filterset(self) -> DeliveryFilterSet:
        filterset = DeliveryFilterSet(self.request.GET or None, queryset=_deliveries(self.request.user))
        for name in ("status", "event_type"):
            filterset.form.fields[name].widget.attrs.setdefault("size", 4)
        return filterset

    def get_queryset(self):
        return self.filterset.qs if self.filterset.is_bound else self.filterset.queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filter=self.filterset, can_redeliver=permissions.can_redeliver(self.request.user), **kwargs
        )


class DeliveryDetailView(PermissionRequiredMixin, DetailView):
    """One delivery: the event it carries and every attempt."""

    permission_required = "webhooks.view_delivery"
    template_name = "webhooks/delivery_detail.html"
    context_object_name = "delivery"

    def get_queryset(self):
        return _deliveries(self.request.user).prefetch_related("attempt_log")

    def get_context_data(self, **kwargs):
        # What this subscription received (redacted unless internal), not the stored full payload.
        envelope = self.object.envelope()
        return super().get_context_data(
            can_redeliver=permissions.can_redeliver(self.request.user),
            payload_json=json.dumps(envelope, indent=2, ensure_ascii=False),
            **kwargs,
        )


class RedeliverView(PermissionRequiredMixin, View):
    """POST: send a dead or failing delivery again."""

    permission_required = "webhooks.redeliver_delivery"
    http_method_names = ["post"]

    def post(self, request, pk):
        delivery = get_object_or_404(_deliveries(request.user), pk=pk)
        try:
            services.delivery_redeliver(actor=request.user, delivery=delivery)
        except (InvalidTransition, ValidationError) as error:
            messages.error(request, str(error) if isinstance(error, InvalidTransition) else " ".join(error.messages))
        else:
            messages.success(request, _("Delivery queued again."))
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = delivery.get_absolute_url()
        return redirect(next_url)
