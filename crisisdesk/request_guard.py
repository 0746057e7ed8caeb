"""Refuse, before any view runs, a request no view could answer properly.

- **Body size.** A body larger than its view's limit answers ``413`` — JSON under ``/api/``, a plain
  page elsewhere — from its ``Content-Length``, before a byte of it is read. The limit is
  ``settings.DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB) unless the view (or its viewset action) says
  otherwise with ``@body_limit(n)``: the bulk mention ingest takes more. Django's own check guards
  ``request.body`` / ``request.POST`` with the default cap, which DRF 3.18 reads: for a view allowed
  more, the middleware reads the (already length-checked) body itself, as ``HttpRequest.body`` does.
  Django's ``RequestDataTooBig`` (raised when a body without a trustworthy length overflows) is a
  ``SuspiciousOperation`` and would answer 400: ``crisisdesk.api.exceptions`` and
  ``too_big_or_bad_request`` (``handler400``) turn it into a 413.
- **NUL in the URL.** A ``%00`` in the path or the query string would reach a database lookup or a
  filter (PostgreSQL refuses NUL in text: a 500); it answers ``400``.
"""

import io

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse, UnreadablePostError
from django.utils.translation import gettext as _
from django.views.defaults import bad_request


def body_limit(max_bytes: int):
    """Mark a view function or viewset action as accepting bodies of up to ``max_bytes``."""

    def decorator(view):
        view.max_request_body = max_bytes
        return view

    return decorator


def request_body_limit(view_func, method: str) -> int:
    """The body limit of the view (or of the viewset action answering ``method``)."""
    cls = getattr(view_func, "cls", None)
    action = (getattr(view_func, "actions", None) or {}).get(method.lower())
    for holder in (getattr(cls, action, None) if cls and action else None, view_func, cls):
        limit = getattr(holder, "max_request_body", None)
        if limit:
            return limit
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def too_large_response(request, limit: int | None):
    if limit:
        message = _("The request body is too large: at most %(n)d bytes.") % {"n": limit}
    else:
        message = _("The request body is too large.")
    if is_api(request):
        body = {"detail": message, "code": "request_too_large"}
        if limit:
            body["limit"] = limit
        return JsonResponse(body, status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


class RequestGuardMiddleware:
    """Place before ``CsrfViewMiddleware``: that one reads ``request.POST``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in query or "%00" in query:
            message = _("The NUL character (U+0000) is not allowed in a URL.")
            if is_api(request):
                return JsonResponse({"detail": message, "code": "invalid_character"}, status=400)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = request_body_limit(view_func, request.method)
        if length > limit:
            return too_large_response(request, limit)
        default = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if default is not None and length > default:
            # A view that takes more than the default (its own @body_limit, checked above): DRF
            # (3.18+) parses JSON and forms from ``request.body``, whose own check is the default
            # cap. Read the body here, as ``HttpRequest.body`` would without that check.
            try:
                request._body = request.read()
            except OSError as exc:
                raise UnreadablePostError(*exc.args) from exc
            request._stream = io.BytesIO(request._body)
        return None


def too_big_or_bad_request(request, exception, template_name="400.html"):
    """``handler400``: Django's ``RequestDataTooBig`` is a 413, not a 400."""
    if isinstance(exception, RequestDataTooBig):
        return too_large_response(request, None)
    return bad_request(request, exception, template_name=template_name)
