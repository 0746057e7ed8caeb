"""Top-level URLs: the browser UI, the admin, and the REST API under /api/v1/."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from crisisdesk.api.views import OfflineRedocView, redoc_bundle
from crisisdesk.favicon import favicon
from crisisdesk.health import healthz
from crisisdesk.live import poll as live_poll
from crisisdesk.observability.metrics import metrics
from crisisdesk.sso import views as sso_views
from incidents import views as incident_views
from incidents.response.views import ResponseTargetsView
from playbooks import urls as playbook_urls

handler400 = "crisisdesk.request_guard.too_big_or_bad_request"


def widen_csp(directives: dict):
    """django-csp's ``csp_update`` for the enforced policy and the report-only one (DJANGO_CSP_REPORT_ONLY)."""

    def decorator(view):
        return csp_update(directives, REPORT_ONLY=True)(csp_update(directives)(view))

    return decorator


api_v1 = [
    path("", include("incidents.api.urls")),
    path("webhooks/", include("crisisdesk.webhooks.api.urls")),
    path("", include("crisisdesk.chat.api.urls")),
    path("", include("incidents.checklist.api.urls")),
    path("", include("incidents.response.api.urls")),
    path("", include("playbooks.api.urls")),
    path("", include("postmortems.api.urls")),
    path("", include("crisisdesk.review.api")),
    path("", include("crisisdesk.audit.api")),
    path("", include("crisisdesk.notifications.api")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script). Both
    # UIs style themselves with inline <style> at run time: their pages, and only theirs,
    # allow inline styles; Redoc's search runs in a blob: worker.
    path(
        "docs/",
        widen_csp({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path(
        "redoc/",
        widen_csp({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            OfflineRedocView.as_view(url_name="api:schema")
        ),
        name="redoc",
    ),
    path("redoc/redoc.standalone.js", redoc_bundle, name="redoc_bundle"),
]

urlpatterns = [
    path("", incident_views.DashboardView.as_view(), name="dashboard"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("live/", live_poll, name="live"),
    path("notifications/", include("crisisdesk.notifications.urls")),
    path("favicon.ico", favicon, name="favicon"),
    path("response-targets/", ResponseTargetsView.as_view(), name="response_targets"),
    path("incidents/", include("incidents.urls")),
    path("mentions/", include("incidents.listening.urls")),
    path("webhooks/", include("crisisdesk.webhooks.urls")),
    path("chat/", include("crisisdesk.chat.urls")),
    path("api-keys/", include("crisisdesk.apikeys.urls")),
    path("keymessages/", include("playbooks.keymessages.urls")),
    path("playbooks/", include("playbooks.urls")),
    path("exercises/", include(playbook_urls.exercise_urlpatterns)),
    path("roster/", include("playbooks.roster.urls")),
    path("reviews/", include("crisisdesk.review.urls")),
    path("post-crisis/", include("postmortems.urls")),
    path("newsroom/", include("incidents.statements.newsroom")),
    path("accounts/login/", sso_views.LoginView.as_view(), name="login"),
    path("accounts/sso/", include("crisisdesk.sso.urls")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("account/two-factor/", include("crisisdesk.twofactor.urls")),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
]

# Unmatched URLs and crashes answer JSON under /api/ and the usual pages elsewhere.
handler404 = "crisisdesk.api.views.not_found"
handler500 = "crisisdesk.api.views.server_error"
