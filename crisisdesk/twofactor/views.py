"""Browser pages of the second factor: overview, enrolment (QR code and secret), recovery codes, confirm.

Thin views over ``services``; the confirm page is where step-up sends people (``stepup.confirm_url``)
and where a successful code is written to the session (``stepup.record_confirmation``).
"""

from base64 import b32encode
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View

from crisisdesk.forms import apply_service_error

from . import services, stepup
from .forms import CodeForm


def safe_next(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def qr_svg(data: str) -> str:
    """The otpauth URL as an inline SVG (no image request, no third party)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    # Generated from our own data (a path, no text nodes): safe to inline.
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308


def grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class OverviewView(LoginRequiredMixin, View):
    """Whether the user has a second factor, and the buttons to enrol or renew recovery codes."""

    def get(self, request):
        device = services.confirmed_totp_device(request.user)
        return TemplateResponse(
            request,
            "twofactor/overview.html",
            {
                "device": device,
                "required": stepup.factor_required(request.user),
                "recovery_left": services.recovery_codes_left(request.user),
                "confirmed_at": stepup.confirmed_at(request.session),
                "step_up_minutes": stepup.step_up_minutes(),
            },
        )


class EnrolView(LoginRequiredMixin, View):
    """Show a new secret as a QR code and in text; a code from the app confirms it and shows the recovery codes."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and services.confirmed_totp_device(request.user) is not None:
            messages.info(request, _("You already have an authenticator app."))
            return redirect("twofactor:overview")
        return super().dispatch(request, *args, **kwargs)

    def page(self, request, form):
        device = services.totp_enrolment_start(user=request.user)
        return TemplateResponse(
            request,
            "twofactor/enrol.html",
            {
                "form": form,
                "qr_svg": qr_svg(device.config_url),
                "secret": grouped(b32encode(device.bin_key).decode()),
                "required": stepup.factor_required(request.user),
                "next": safe_next(request, ""),
            },
        )

    def get(self, request):
        return self.page(request, CodeForm())

    def post(self, request):
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                codes = services.totp_enrolment_confirm(user=request.user, code=form.cleaned_data["code"])
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                stepup.record_confirmation(request.session, stepup.TOTP)
                return recovery_codes_page(request, codes, next_url=safe_next(request, reverse("dashboard")))
        return self.page(request, form)


def recovery_codes_page(request, codes: list[str], *, next_url: str):
    """The recovery codes, this once (never stored in clear, never shown again)."""
    response = TemplateResponse(request, "twofactor/recovery_codes.html", {"codes": codes, "next": next_url})
    response["Cache-Control"] = "no-store"
    return response


class RecoveryCodesView(LoginRequiredMixin, View):
    """POST: ten new recovery codes (the old ones stop working); needs a recent factor."""

    http_method_names = ["post"]

    def post(self, request):
        if stepup.recent_factor(request.session) is None:
            return redirect(stepup.confirm_url(reverse("twofactor:overview")))
        try:
            codes = services.recovery_codes_regenerate(user=request.user)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
            return redirect("twofactor:overview")
        return recovery_codes_page(request, codes, next_url=reverse("twofactor:overview"))


class ConfirmView(LoginRequiredMixin, View):
    """Confirm the second factor (a code from the app or a recovery code), then back to ``next``."""

    def page(self, request, form):
        return TemplateResponse(
            request,
            "twofactor/confirm.html",
            {"form": form, "next": safe_next(request, ""), "step_up_minutes": stepup.step_up_minutes()},
        )

    def get(self, request):
        if not stepup.has_device(request.user):
            messages.info(request, _("Set up a second factor first."))
            return redirect(f"{reverse('twofactor:enrol')}?{urlencode({'next': safe_next(request, '')})}")
        return self.page(request, CodeForm())

    def post(self, request):
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                kind = services.factor_verify(user=request.user, code=form.cleaned_data["code"])
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                stepup.record_confirmation(request.session, kind)
                if kind == stepup.RECOVERY:
                    messages.warning(
                        request,
                        _("Recovery code used; %(left)s left. Renew them from the two-factor page.")
                        % {"left": services.recovery_codes_left(request.user)},
                    )
                else:
                    messages.success(request, _("Second factor confirmed."))
                return redirect(safe_next(request, reverse("dashboard")))
        return self.page(request, form)
