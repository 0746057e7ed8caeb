"""URLconf used only by the bench: the project's URLs plus a bare view to measure against.

The bare view is the yardstick: the same deployment (gunicorn, settings, middleware stack), no
template, no query, a ``JsonResponse``. Every target's latency is reported as a multiple of it.
"""

from django.http import JsonResponse
from django.urls import path

from crisisdesk.urls import handler400, handler404, handler500  # noqa: F401 - the project's error pages
from crisisdesk.urls import urlpatterns as project_urlpatterns


def bare_view(request):
    """The cheapest response Django can give: what every other page is compared with."""
    return JsonResponse({"ok": True})


urlpatterns = [
    path("__bench__/bare/", bare_view, name="bench-bare"),
    *project_urlpatterns,
]
