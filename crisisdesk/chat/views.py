"""Browser pages for team leads: chat destinations (list, create, edit, delete, test) and their deliveries.

Thin views: a form is validated, a service from ``crisisdesk.chat.services`` writes, and
its errors become form errors or messages. Everyone without the ``chat`` permissions
gets 403; a delivery of a confidential incident the user may not see is not listed.
"""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.forms import apply_service_error
from crisisdesk.webhooks.models import DeliveryStatus

from . import permissions, services
from .forms import DestinationForm
from .models import ChatDelivery, Destination

VIEW_PERMISSION = "chat.view_destination"


class DestinationListView(PermissionRequiredMixin, ListView):
    """Every destination with its delivery counts."""

    permission_required = VIEW_PERMISSION
    template_name = "chat/destination_list.html"
    context_object_name = "destinations"

    def get_queryset(self):
        return Destination.objects.visible_to(self.request.user).annotate(
            delivered_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
            failing_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.RETRYING)),
            dead_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DEAD)),
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_create=permissions.can_create(self.request.user), **kwargs)


class DestinationCreateView(PermissionRequiredMixin, FormView):
    permission_required = "chat.add_destination"
    template_name = "chat/destination_form.html"
    form_class = DestinationForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            destination = services.destination_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Destination created. Send a test message to check it."))
        return redirect(destination)


class DestinationMixin(PermissionRequiredMixin):
    """Looks up the destination in the URL among those the user may see (404 otherwise)."""

    permission_required = VIEW_PERMISSION

    @cached_property
    def destination(self) -> Destination:
        return get_object_or_404(Destination.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def require(self, allowed: bool) -> None:
        if not allowed:
            raise PermissionDenied(_("You may not change this chat destination."))


class DestinationDetailView(DestinationMixin, ListView):
    """A destination's settings and its recent deliveries."""

    template_name = "chat/destination_detail.html"
    context_object_name = "deliveries"
    paginate_by = 25

    def get_queryset(self):
        return (
            ChatDelivery.objects.visible_to(self.request.user)
            .filter(destination=self.destination)
            .select_related("incident")
        )

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            destination=self.destination,
            can_manage=permissions.can_manage(user, self.destination),
            can_delete=permissions.can_delete(user, self.destination),
            can_test=permissions.can_test(user, self.destination),
            **kwargs,
        )


class DestinationEditView(DestinationMixin, FormView):
    template_name = "chat/destination_form.html"
    form_class = DestinationForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.has_permission():
            self.require(permissions.can_manage(request.user, self.destination))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "destination": self.destination}

    def get_initial(self):
        d = self.destination
        return {
            "name": d.name,
            "event_types": d.event_types,
            "min_severity": d.min_severity,
            "is_active": d.is_active,
            "include_confidential": d.include_confidential,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(destination=self.destination, **kwargs)

    def form_valid(self, form):
        try:
            services.destination_update(actor=self.request.user, destination=self.destination, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Destination saved."))
        return redirect(self.destination)


class DestinationDeleteView(DestinationMixin, TemplateView):
    """GET asks for confirmation; POST deletes the destination and its delivery log."""

    template_name = "chat/destination_confirm_delete.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.has_permission():
            self.require(permissions.can_delete(request.user, self.destination))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(destination=self.destination, **kwargs)

    def post(self, request, *args, **kwargs):
        services.destination_delete(actor=request.user, destination=self.destination)
        messages.success(request, _("Destination deleted."))
        return redirect("chat:list")


class DestinationTestView(DestinationMixin, View):
    """POST: queue a fixed test message to this destination."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.require(permissions.can_test(request.user, self.destination))
        delivery = services.destination_test(actor=request.user, destination=self.destination)
        delivery.refresh_from_db()
        if delivery.status == DeliveryStatus.DELIVERED:
            messages.success(request, _("Test message sent."))
        elif delivery.status == DeliveryStatus.PENDING:
            messages.info(request, _("Test message queued."))
        else:
            messages.error(request, _("The test message failed: %s") % delivery.last_error)
        return redirect(self.destination)


class ChatRedeliverView(PermissionRequiredMixin, View):
    """POST: send a dead or failing chat delivery again."""

    permission_required = "chat.change_destination"
    http_method_names = ["post"]

    def post(self, request, pk):
        delivery = get_object_or_404(ChatDelivery.objects.visible_to(request.user), pk=pk)
        try:
            services.chat_delivery_redeliver(actor=request.user, delivery=delivery)
        except InvalidTransition as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Delivery queued again."))
        return redirect(delivery.destination)
