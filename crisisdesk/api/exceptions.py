"""Map domain errors onto HTTP: ValidationError → 400, PermissionDenied → 403, InvalidTransition → 409."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from crisisdesk.exceptions import InvalidTransition


def exception_handler(exc, context):
    if isinstance(exc, InvalidTransition):
        body = {"detail": str(exc), "code": "invalid_transition"}
        if exc.current is not None:
            body["current"] = exc.current
        if exc.requested is not None:
            body["requested"] = exc.requested
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        return Response(as_serializer_error(exc), status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
