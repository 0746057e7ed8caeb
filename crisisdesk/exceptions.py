"""Domain errors shared by every app.

Services raise these; the browser maps them onto messages/forms, the API onto
HTTP codes: ``InvalidTransition`` → 409, ``PermissionDenied`` → 403,
``django.core.exceptions.ValidationError`` → 400.
"""

from django.core.exceptions import PermissionDenied  # noqa: F401  (re-exported for services)


class DomainError(Exception):
    """Base class of errors a service raises on purpose."""


class InvalidTransition(DomainError):
    """The requested state change is not allowed from the current state."""

    def __init__(self, message: str, *, current: str | None = None, requested: str | None = None):
        super().__init__(message)
        self.current = current
        self.requested = requested
