"""API documentation views that load nothing from a CDN, and the API's answers for unmatched URLs and crashes."""

from django.http import HttpResponse, JsonResponse
from django.template import engines
from django.views import defaults
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView

# drf-spectacular's Redoc page links Google Fonts in its <head>; this one keeps
# its body (the sidecar's redoc.standalone.js) and drops the font links, so the
# page works on an offline network and tells no third party who reads the docs.
# No inline script or style either (Content-Security-Policy): the <redoc> element
# starts Redoc by itself once its script has loaded.
REDOC_PAGE = """{% extends "drf_spectacular/redoc.html" %}
{% block head %}
<title>{{ title|default:"Redoc" }}</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{% endblock head %}
{% block body %}
<redoc spec-url="{{ schema_url }}"></redoc>
<script src="{{ redoc_standalone }}"></script>
{% endblock body %}
"""


class OfflineRedocView(SpectacularRedocView):
    """Redoc served from the drf-spectacular-sidecar package, without third-party fonts."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        context = super().get(request, *args, **kwargs).data
        return HttpResponse(engines["django"].from_string(REDOC_PAGE).render(context, request))


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
