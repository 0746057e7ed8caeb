"""Map domain errors onto HTTP: ValidationError → 400, PermissionDenied → 403, InvalidTransition → 409.

Services raise Django's exceptions, not DRF's, because browser views, the admin
and management commands call them too; this handler is the one place the API
turns them into responses.
"""

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from crisisdesk.exceptions import InvalidTransition


def validation_error_body(exc: DjangoValidationError) -> dict:
    """Field messages as DRF writes them; model-level (``__all__``) errors become ``non_field_errors``."""
    body = as_serializer_error(exc)
    if NON_FIELD_ERRORS in body:
        body.setdefault(api_settings.NON_FIELD_ERRORS_KEY, [])
        body[api_settings.NON_FIELD_ERRORS_KEY] += body.pop(NON_FIELD_ERRORS)
    return body


def exception_handler(exc, context):
    if isinstance(exc, InvalidTransition):
        body = {"detail": str(exc), "code": "invalid_transition"}
        if exc.current is not None:
            body["current"] = exc.current
        if exc.requested is not None:
            body["requested"] = exc.requested
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": _("The request body is too large."), "code": "request_too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoPermissionDenied) and getattr(exc, "code", None):
        # A refusal with a machine-readable reason (crisisdesk.twofactor: step_up_required, token_not_allowed).
        return Response({"detail": str(exc), "code": exc.code}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DjangoPermissionDenied):
        # DRF's own handler would replace the service's message with a generic one;
        # the message says *why* ("Only a team lead may change the severity.").
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    return drf_exception_handler(exc, context)
