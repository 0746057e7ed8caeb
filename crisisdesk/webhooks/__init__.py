"""Outbound webhooks: a transactional outbox, signed deliveries with retries, subscriptions.

Other apps call ``emit`` inside the transaction of the change they report::

    from crisisdesk.webhooks import emit
    emit(event_type="incident.opened", payload=incident_data(incident), incident=incident)

It is imported lazily so that importing this package does not load models before
the app registry is ready.
"""


def emit(*, event_type: str, payload: dict, incident=None):
    """Write an event to the outbox in the caller's transaction; see ``services.emit``."""
    from .services import emit as _emit

    return _emit(event_type=event_type, payload=payload, incident=incident)


__all__ = ["emit"]
