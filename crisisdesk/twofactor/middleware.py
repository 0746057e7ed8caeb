"""Two-factor sign-in, under ``CRISISDESK_2FA_ENFORCE``: a password (or SSO) sign-in is not enough on its own.

A signed-in user who has a device confirms it once per session before using the browser pages; one
whose role requires a factor (``CRISISDESK_2FA_REQUIRED_ROLES``, superusers) and has none is sent to
enrolment. The API is left to its own rules (step-up answers 403 ``step_up_required``), as are the
sign-in, sign-out and two-factor pages themselves. With enforcement off this does nothing.
"""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from . import stepup

# Once the session is known to be fine (a factor confirmed, or none required), no query per request.
SETTLED_KEY = "twofactor_settled"
# Not the password change: someone holding only the password must not be able to take the account over.
EXEMPT_PREFIXES = (
    "/static/",
    "/api/",
    "/healthz",
    "/metrics",
    "/favicon.ico",
    "/live/",
    "/i18n/",
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/sso/",
)


def come_back_to(request) -> str:
    """Where to return once the factor is confirmed: the page asked for, or for a POST the page it came from."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    return stepup.page_of(request, reverse("dashboard"))


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.redirect_for(request)
        return response if response is not None else self.get_response(request)

    def redirect_for(self, request):
        if not stepup.enforced():
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.session.get(SETTLED_KEY):
            return None
        own = reverse("twofactor:overview")
        if request.path.startswith(own) or request.path.startswith(EXEMPT_PREFIXES):
            return None
        if stepup.confirmed_at(request.session) is not None:
            request.session[SETTLED_KEY] = True
            return None
        if stepup.has_device(user):
            return redirect(stepup.confirm_url(come_back_to(request)))
        if stepup.factor_required(user):
            return redirect(f"{reverse('twofactor:enrol')}?{urlencode({'next': come_back_to(request)})}")
        request.session[SETTLED_KEY] = True
        return None
