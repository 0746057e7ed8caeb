"""Security middleware: the Permissions-Policy header, the CSP nonce in templates, and an absolute session age.

CSP. The Content-Security-Policy header is django-csp's (``csp.middleware.CSPMiddleware``); the
policy is ``settings.CONTENT_SECURITY_POLICY``. Our templates carry no inline script, no inline
event handler and no ``style=`` attribute, so ``script-src 'self'`` and ``style-src 'self'``
hold. A template that truly needs an inline ``<script>`` writes
``<script nonce="{{ csp_nonce }}">``: django-csp makes the nonce per request, only when it is
read, and then adds it to ``script-src`` (the ``NONCE`` source of the setting). A view whose
third-party page needs more (the API docs) is wrapped in ``csp.decorators.csp_update({...})``,
which widens the policy for that view only.

Session age. Django's ``SESSION_COOKIE_AGE`` is renewed whenever the session is
saved, so an active session could live forever; ``SessionAbsoluteAgeMiddleware``
signs a user out ``SESSION_ABSOLUTE_AGE`` seconds after they signed in, however
active they have been.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header to every response (the CSP header is django-csp's)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def csp_nonce(request) -> dict:
    """Template context processor: ``{{ csp_nonce }}`` for the rare inline script that must exist."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}


SESSION_LOGIN_TIME_KEY = "_crisisdesk_signed_in_at"


@receiver(user_logged_in, dispatch_uid="crisisdesk.session_signed_in_at")
def stamp_sign_in(sender, request, user, **kwargs):
    """Start the absolute session clock at sign-in (the session survives key rotation)."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_LOGIN_TIME_KEY] = int(time.time())


class SessionAbsoluteAgeMiddleware:
    """Signs a user out ``SESSION_ABSOLUTE_AGE`` seconds after sign-in, however active the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        max_age = getattr(settings, "SESSION_ABSOLUTE_AGE", None)
        user = getattr(request, "user", None)
        if max_age and user is not None and user.is_authenticated:
            now = int(time.time())
            signed_in_at = request.session.get(SESSION_LOGIN_TIME_KEY)
            if signed_in_at is None:
                # A session from before this middleware, or the first request after sign-in.
                request.session[SESSION_LOGIN_TIME_KEY] = now
            elif now - int(signed_in_at) > max_age:
                logout(request)
        return self.get_response(request)
