"""``/favicon.ico``: the icon browsers ask for on their own (the admin, a JSON page, an old bookmark).

Pages link ``static/img/favicon.svg``; this answers the conventional address with the same
file, read once from the static files, so no page needs a CDN or a 404 lands in the log.
"""

from functools import cache

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

FAVICON = "img/favicon.svg"


@cache
def favicon_bytes() -> bytes:
    # The source file (development, tests) or the collected one (a deployment without the sources).
    path = finders.find(FAVICON)
    if path:
        with open(path, "rb") as icon:
            return icon.read()
    with staticfiles_storage.open(FAVICON) as icon:
        return icon.read()


@require_GET
@cache_control(public=True, max_age=60 * 60 * 24)
def favicon(request):
    """The site's icon (SVG), whatever the ``.ico`` name says: every current browser reads it by its type."""
    return HttpResponse(favicon_bytes(), content_type="image/svg+xml")
