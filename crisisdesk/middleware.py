"""Security middleware: a strict Content-Security-Policy on every response, and an absolute session age.

CSP. The policy comes from ``settings.CONTENT_SECURITY_POLICY`` (a dict of directive →
sources). Our templates carry no inline script, no inline event handler and no
``style=`` attribute, so ``script-src 'self'`` and ``style-src 'self'`` hold. A template
that truly needs an inline ``<script>`` writes ``<script nonce="{{ csp_nonce }}">``: the
nonce is made per request, only when a template reads it, and then added to
``script-src``. A view whose third-party page needs more (the API docs) is wrapped in
``csp_update(...)``, which widens the policy for that view only.

Session age. Django's ``SESSION_COOKIE_AGE`` is renewed whenever the session is
saved, so an active session could live forever; ``SessionAbsoluteAgeMiddleware``
signs a user out ``SESSION_ABSOLUTE_AGE`` seconds after they signed in, however
active they have been.
"""

import secrets
import time
from functools import wraps

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils.functional import SimpleLazyObject

CSP_HEADER = "Content-Security-Policy"
CSP_REPORT_ONLY_HEADER = "Content-Security-Policy-Report-Only"

DEFAULT_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


def build_policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(sources)}".strip() for name, sources in directives.items())


def csp_update(**directives):
    """Widen the policy for one view: ``csp_update(style_src=["'unsafe-inline'"])(view)``."""
    extra = {name.replace("_", "-"): list(sources) for name, sources in directives.items()}

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response._csp_update = extra
            return response

        return wrapped

    return decorator


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy and Permissions-Policy headers to every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        nonce_used = []

        def make_nonce():
            nonce_used.append(True)
            return secrets.token_urlsafe(18)

        request.csp_nonce = SimpleLazyObject(make_nonce)
        response = self.get_response(request)
        policy = {
            name: list(sources)
            for name, sources in getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_POLICY).items()
        }
        for name, sources in getattr(response, "_csp_update", {}).items():
            policy.setdefault(name, list(policy.get("default-src", [])))
            policy[name] += [source for source in sources if source not in policy[name]]
        if nonce_used:
            policy.setdefault("script-src", ["'self'"]).append(f"'nonce-{request.csp_nonce}'")
        header = (
            CSP_REPORT_ONLY_HEADER if getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", False) else CSP_HEADER
        )
        if header not in response.headers:
            response.headers[header] = build_policy(policy)
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
