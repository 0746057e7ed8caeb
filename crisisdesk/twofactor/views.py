"""Browser pages of the second factor: overview, enrolment (QR code and secret), recovery codes, confirm,
and the JSON steps of the passkey ceremonies (register, confirm) with the removal of a passkey.

Thin views over ``services``; the confirm page is where step-up sends people (``stepup.confirm_url``)
and where a successful code is written to the session (``stepup.record_confirmation``).
"""

import json
from base64 import b32encode
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from crisisdesk.forms import apply_service_error

from . import passkeys, services, stepup
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
    # Imported here: qrcode loads Pillow (~4 MiB per worker), and only enrolment draws a code.
    import qrcode
    import qrcode.image.svg

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
                "passkeys": passkeys.passkeys_of(request.user),
                "name_max_length": passkeys.NAME_MAX_LENGTH,
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
    """Confirm the second factor (a code from the app, a recovery code, or a passkey), then back to ``next``."""

    def page(self, request, form):
        return TemplateResponse(
            request,
            "twofactor/confirm.html",
            {
                "form": form,
                "next": safe_next(request, ""),
                "step_up_minutes": stepup.step_up_minutes(),
                "has_totp": services.confirmed_totp_device(request.user) is not None,
                "has_passkey": passkeys.passkeys_of(request.user).exists(),
                "recovery_left": services.recovery_codes_left(request.user),
            },
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


def _json_body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, ValueError):
        raise ValidationError(_("The browser's answer could not be read. Try again.")) from None
    if not isinstance(body, dict):
        raise ValidationError(_("The browser's answer could not be read. Try again."))
    return body


def _refused(error: ValidationError) -> JsonResponse:
    return JsonResponse({"detail": " ".join(error.messages), "code": "invalid"}, status=400)


def _step_up_answer(request, error: stepup.StepUpRequired, next_url: str) -> JsonResponse:
    return JsonResponse(
        {"detail": str(error), "code": error.code, "redirect": stepup.confirm_url(next_url)}, status=403
    )


@method_decorator(never_cache, name="dispatch")
class PasskeyCeremonyView(LoginRequiredMixin, View):
    """POST only, JSON in and out: one step of a WebAuthn ceremony, driven by static/js/passkeys.js."""

    http_method_names = ["post"]
    raise_exception = True  # a JSON call signed out gets a 403, not the sign-in page

    def post(self, request):
        try:
            return JsonResponse(self.step(request, _json_body(request)))
        except stepup.StepUpRequired as error:
            return _step_up_answer(request, error, reverse("twofactor:overview"))
        except ValidationError as error:
            return _refused(error)

    def step(self, request, body: dict) -> dict:
        raise NotImplementedError


class PasskeyRegisterBeginView(PasskeyCeremonyView):
    def step(self, request, body):
        return passkeys.registration_begin(request=request)


class PasskeyRegisterCompleteView(PasskeyCeremonyView):
    def step(self, request, body):
        device = passkeys.registration_complete(
            request=request, name=body.get("name", ""), credential=body.get("credential")
        )
        messages.success(request, _("Passkey “%(name)s” added.") % {"name": device.name})
        return {"redirect": reverse("twofactor:overview")}


class PasskeyConfirmBeginView(PasskeyCeremonyView):
    def step(self, request, body):
        return passkeys.authentication_begin(request=request)


class PasskeyConfirmCompleteView(PasskeyCeremonyView):
    def step(self, request, body):
        passkeys.authentication_complete(request=request, credential=body.get("credential"))
        messages.success(request, _("Second factor confirmed."))
        next_url = body.get("next") or ""
        safe = next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return {"redirect": next_url if safe else reverse("dashboard")}


class PasskeyRemoveView(LoginRequiredMixin, View):
    """POST: remove one of the user's own passkeys; needs a recent factor."""

    http_method_names = ["post"]

    def post(self, request, pk):
        passkey = get_object_or_404(passkeys.passkeys_of(request.user), pk=pk)
        if stepup.recent_factor(request.session) is None:
            return redirect(stepup.confirm_url(reverse("twofactor:overview")))
        try:
            passkeys.passkey_remove(user=request.user, passkey=passkey)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("Passkey “%(name)s” removed.") % {"name": passkey.name})
        return redirect("twofactor:overview")
