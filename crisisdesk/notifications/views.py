"""The notification centre: the list (newest first), mark one or all read, follow a link (marks it read)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import ListView

from crisisdesk import live

from . import services
from .models import Notification


def _own_or_404(request, pk) -> Notification:
    try:
        return Notification.objects.visible_to(request.user).get(pk=pk)
    except Notification.DoesNotExist:
        raise Http404 from None


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "notifications/list.html"
    context_object_name = "notifications"
    paginate_by = 25

    def get_queryset(self):
        return Notification.objects.visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["live_topics"] = [live.user_topic(self.request.user)]
        return context


class NotificationReadView(LoginRequiredMixin, View):
    """POST: mark one notification read, back to where the form was."""

    def post(self, request, pk):
        services.notification_mark_read(actor=request.user, notification=_own_or_404(request, pk))
        return _back(request)


class NotificationReadAllView(LoginRequiredMixin, View):
    def post(self, request):
        services.notifications_mark_all_read(actor=request.user)
        return _back(request)


class NotificationOpenView(LoginRequiredMixin, View):
    """GET: follow a notification's link; opening it is reading it."""

    def get(self, request, pk):
        notification = _own_or_404(request, pk)
        services.notification_mark_read(actor=request.user, notification=notification)
        if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
            return redirect(notification.url)
        return redirect("notifications:list")
