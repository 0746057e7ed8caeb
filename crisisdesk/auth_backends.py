"""Authentication backends: django-axes' lockout check in front of Django's ModelBackend."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver


class AxesBackend(AxesStandaloneBackend):
    """Refuses a sign-in while its username + IP address pair is locked out.

    Every sign-in a person or a script can attempt comes with a request (the login form,
    the admin, the API token endpoint) and is checked. A call without one (a management
    command, the test client's ``login()``) has no client address to lock out, so it is
    passed on to the next backend instead of failing.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed, dispatch_uid="crisisdesk.axes_flag_drf_request")
def pass_lockout_flag_to_django_request(sender, credentials, request=None, **kwargs):
    """Copy axes' lockout flag from DRF's Request wrapper to Django's request.

    The API token endpoint authenticates with DRF's Request; axes' failure handler (connected
    before this one: the app comes first in INSTALLED_APPS) flags that wrapper, while
    AxesMiddleware reads Django's request. Passed on, a locked-out script gets the lockout
    response (429 with Retry-After) instead of a plain "wrong password" (400).
    """
    inner = getattr(request, "_request", None)
    if inner is not None and getattr(request, "axes_locked_out", False):
        inner.axes_locked_out = True
        inner.axes_credentials = getattr(request, "axes_credentials", None)


def lockout_response(request, original_response, credentials):
    """What a locked-out client sees: JSON with Retry-After for the API, a clear page for people."""
    from axes.helpers import get_cool_off, get_failure_limit
    from django.conf import settings
    from django.http import JsonResponse
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        detail = (
            _("Too many failed sign-ins for this account from your address. Try again in %(minutes)s minutes.")
            % {"minutes": minutes}
            if minutes
            else _("Too many failed sign-ins for this account from your address. Ask an administrator to unlock it.")
        )
        response = JsonResponse({"detail": detail, "code": "locked_out"}, status=status)
    else:
        context = {"failure_limit": get_failure_limit(request, credentials), "cooloff_minutes": minutes}
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=status)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
