"""URLconf used only by ``manage.py bench``: the project's URLs plus a bare view to measure against.

The bare view is the baseline: the same middleware stack, the same test client, no template,
no query. Each endpoint's latency is reported as a multiple of it.
"""

from django.http import HttpResponse
from django.urls import path

from crisisdesk.urls import urlpatterns as project_urlpatterns


def bare_view(request):
    """The cheapest response Django can give: what every other page is compared with."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("__bench__/bare/", bare_view, name="bench-bare"),
    *project_urlpatterns,
]
