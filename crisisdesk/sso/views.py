"""The login page with the SSO button, and the page shown when an OpenID Connect sign-in is refused."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render

from crisisdesk.sso.backends import REFUSAL_SESSION_KEY


def sso_refused(request):
    reason = request.session.pop(REFUSAL_SESSION_KEY, "invalid")
    return render(request, "sso/refused.html", {"reason": reason}, status=403)


class LoginView(auth_views.LoginView):
    """Django's login page, plus the "Sign in with <provider>" button when SSO is configured."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = settings.OIDC_ENABLED
        context["sso_name"] = settings.OIDC_PROVIDER_NAME
        context["local_login"] = settings.CRISISDESK_LOCAL_LOGIN
        return context
