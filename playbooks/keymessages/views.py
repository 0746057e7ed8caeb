"""Browser views for key messages: list with filters and flags, create, edit, detail with the review buttons.

Thin views: validate a form, call ``playbooks.services`` (writes) or the review engine (workflow
buttons, through ``crisisdesk.review.views.ItemTransitionView``), map errors, redirect. Outsiders
(no CrisisDesk role) get 403 on the list and 404 on an item, as for incidents.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Select, SelectMultiple
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review.models import Action
from crisisdesk.review.policy import policy_for
from crisisdesk.review.services import TRANSITIONS
from crisisdesk.review.views import ItemTransitionView, action_context, client_ip, service_error_on_form
from playbooks.keymessages.filtersets import KeyMessageFilterSet
from playbooks.keymessages.forms import KeyMessageEditForm, KeyMessageForm
from playbooks.keymessages.models import KeyMessage
from playbooks.keymessages.services import keymessage_create, keymessage_update

EDITABLE = ("kind", "topic", "title", "language", "body_format", "body", "valid_until", "review_due")


def visible_key_message(request, pk: int) -> KeyMessage:
    """A key message as this user sees it: 404 when missing or when the user has no role to read it."""
    return get_object_or_404(
        KeyMessage.objects.visible_to(request.user).select_related("current_revision", "created_by"), pk=pk
    )


class KeyMessageListView(PermissionRequiredMixin, ListView):
    """Key messages, filtered by the shared KeyMessageFilterSet; expired and review-due ones flagged."""

    permission_required = "playbooks.view_keymessage"
    template_name = "keymessages/keymessage_list.html"
    context_object_name = "key_messages"
    paginate_by = 50

    @cached_property
    def filterset(self) -> KeyMessageFilterSet:
        queryset = (
            KeyMessage.objects.visible_to(self.request.user)
            .select_related("created_by")
            .order_by("topic", "kind", "title", "id")
        )
        filterset = KeyMessageFilterSet(self.request.GET or None, queryset=queryset, request=self.request)
        for field in filterset.form.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, Select) else "form-control"
            )
            if isinstance(field.widget, SelectMultiple):
                field.widget.attrs.setdefault("size", 4)
        return filterset

    def get_queryset(self):
        filterset = self.filterset
        if not filterset.is_bound:
            return filterset.queryset
        # An invalid filter (an unknown kind) shows its error on the form and lists nothing.
        return filterset.qs if filterset.is_valid() else filterset.queryset.none()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filter_form=self.filterset.form,
            today=timezone.localdate(),
            can_create=self.request.user.has_perm("playbooks.add_keymessage"),
            **kwargs,
        )


class KeyMessageCreateView(PermissionRequiredMixin, FormView):
    """Draft a key message through ``keymessage_create``."""

    permission_required = "playbooks.add_keymessage"
    form_class = KeyMessageForm
    template_name = "keymessages/keymessage_form.html"

    def form_valid(self, form):
        try:
            key_message = keymessage_create(
                actor=self.request.user, ip_address=client_ip(self.request), **form.cleaned_data
            )
        except (ValidationError, InvalidTransition) as error:
            service_error_on_form(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Key message drafted. Submit it for Legal's review when it is ready."))
        return redirect("keymessages:detail", pk=key_message.pk)


class KeyMessageDetailView(LoginRequiredMixin, TemplateView):
    """A key message: text, flags, revisions, approvals and the workflow buttons the user may use."""

    template_name = "keymessages/keymessage_detail.html"

    def get_context_data(self, **kwargs):
        key_message = visible_key_message(self.request, self.kwargs["pk"])
        context = {
            "key_message": key_message,
            "rendered_body": key_message.rendered_body(),
            "revisions": key_message.revisions().select_related("created_by"),
            "decisions": key_message.decisions().select_related("reviewer", "revision"),
            "usable": key_message.is_usable(),
            **action_context(self.request.user, key_message),
        }
        return super().get_context_data(**context, **kwargs)


class KeyMessageEditView(LoginRequiredMixin, FormView):
    """Edit a key message through ``keymessage_update``: a new revision, back to draft."""

    form_class = KeyMessageEditForm
    template_name = "keymessages/keymessage_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.key_message = visible_key_message(request, kwargs["pk"])
        if not policy_for(self.key_message).can(request.user, self.key_message, Action.EDIT):
            raise PermissionDenied(_("You may not edit key messages."))
        if self.key_message.status not in TRANSITIONS[Action.EDIT]:
            messages.error(
                request,
                _("A %(status)s key message is not edited; write a new one.")
                % {"status": self.key_message.get_status_display().lower()},
            )
            return redirect("keymessages:detail", pk=self.key_message.pk)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {name: getattr(self.key_message, name) for name in EDITABLE}

    def get_context_data(self, **kwargs):
        return super().get_context_data(key_message=self.key_message, **kwargs)

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        comment = data.pop("comment", "")
        before = self.key_message.current_revision_id
        try:
            key_message = keymessage_update(
                actor=self.request.user,
                key_message=self.key_message,
                comment=comment,
                ip_address=client_ip(self.request),
                **data,
            )
        except (ValidationError, InvalidTransition) as error:
            service_error_on_form(form, error)
            return self.form_invalid(form)
        if key_message.current_revision_id == before:
            messages.info(self.request, _("Nothing changed."))
        else:
            messages.success(
                self.request,
                _("Saved as revision %s. It is a draft again: submit it for review.")
                % key_message.current_revision.number,
            )
        return redirect("keymessages:detail", pk=key_message.pk)


class KeyMessageTransitionView(ItemTransitionView):
    """Submit, approve, request changes, reject or retire (withdraw) one key message."""

    def get_item(self):
        return visible_key_message(self.request, self.kwargs["pk"])
