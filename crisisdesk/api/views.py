"""API documentation views that load nothing from a CDN, and the API's answers for unmatched URLs and crashes."""

from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.template import engines
from django.urls import reverse
from django.views import defaults
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView

# drf-spectacular's Redoc page links Google Fonts in its <head>; this one keeps
# its body (the sidecar's redoc.standalone.js) and drops the font links, so the
# page works on an offline network and tells no third party who reads the docs.
# No inline script or style either (Content-Security-Policy): the <redoc> element
# starts Redoc by itself once its script has loaded.
REDOC_PAGE = """{% extends "drf_spectacular/redoc.html" %}{% load static %}
{% block head %}
<title>{{ title|default:"Redoc" }}</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="{% static 'img/favicon.svg' %}" type="image/svg+xml">
{% endblock head %}
{% block body %}
<redoc spec-url="{{ schema_url }}"></redoc>
<script src="{{ redoc_standalone }}"></script>
{% endblock body %}
"""


class OfflineRedocView(SpectacularRedocView):
    """Redoc served from the drf-spectacular-sidecar package, without third-party fonts or images."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        context = super().get(request, *args, **kwargs).data
        context["redoc_standalone"] = reverse("api:redoc_bundle")
        return HttpResponse(engines["django"].from_string(REDOC_PAGE).render(context, request))


REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
# The sidebar's "API docs by Redocly" line shows an <img> from Redocly's CDN, hard-coded in the
# bundle (no option turns it off). Our CSP blocks it (img-src 'self' data:) and the browser
# reports a violation on every visit; allowing the CDN would tell Redocly who reads our docs.
# The bundle is served with that address replaced by an empty data: URL: Redoc's own onError
# handler then drops the image, the attribution text stays. A sidecar upgrade that moves the
# address is caught by crisisdesk/api/tests/test_docs_browser.py (no violation) and test_docs.py.
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@cache
def redoc_bundle_bytes() -> bytes:
    with open(finders.find(REDOC_BUNDLE), "rb") as bundle:
        return bundle.read().replace(REDOC_CDN_LOGO.encode(), b"data:,")


@require_GET
@cache_control(public=True, max_age=60 * 60)
def redoc_bundle(request):
    """The sidecar's Redoc bundle, minus its one third-party image (see ``REDOC_CDN_LOGO``)."""
    return HttpResponse(redoc_bundle_bytes(), content_type="text/javascript; charset=utf-8")


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """404 for a URL no route matches: JSON under /api/ (what the schema documents), the HTML page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500: JSON under /api/, so an integration never has to parse an HTML error page."""
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
