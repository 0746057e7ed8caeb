"""The registry of webhook event types: the one place that lists what CrisisDesk can send.

Later features add theirs here (``alert.fired``, ``incident.response_overdue``…): a
subscription can only choose a registered type, and ``emit`` refuses an unknown one,
so a typo in a caller fails its tests instead of silently sending nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from . import payloads


@dataclass(frozen=True)
class EventType:
    """One kind of event: its wire name (``incident.opened``) and a label for people."""

    code: str
    label: str
    description: str = ""
    #: What a subscription not flagged ``include_internal_drafts`` receives instead of the
    #: stored payload (None: the payload as stored). Applied at send time and wherever a
    #: delivery's payload is shown, so both always match.
    redact: Callable[[dict], dict] | None = None


EVENT_TYPES: dict[str, EventType] = {}


def register(code: str, label, description="", *, redact: Callable[[dict], dict] | None = None) -> EventType:
    """Add an event type to the registry (idempotent for the same code)."""
    event_type = EventType(code, label, description, redact)
    EVENT_TYPES[code] = event_type
    return event_type


def payload_for(event_type: str, payload: dict, *, internal: bool) -> dict:
    """The ``data`` a subscription receives: the stored payload if it is internal, else the redacted one."""
    registered = EVENT_TYPES.get(event_type)
    if internal or registered is None or registered.redact is None:
        return payload
    return registered.redact(payload)


INCIDENT_OPENED = register("incident.opened", _("Incident opened"), _("A new incident was logged."))
INCIDENT_STATUS_CHANGED = register(
    "incident.status_changed", _("Incident status changed"), _("An incident moved along its workflow.")
)
INCIDENT_SEVERITY_CHANGED = register(
    "incident.severity_changed", _("Incident severity changed"), _("An incident's severity was raised or lowered.")
)
# Before publication, outside systems get review metadata only (no body); after it, the
# approved words without staff's notes. Subscriptions flagged include_internal_drafts get everything.
STATEMENT_SUBMITTED = register(
    "statement.submitted",
    _("Statement submitted"),
    _("A statement was sent to its reviewers."),
    redact=payloads.statement_metadata_only,
)
STATEMENT_APPROVED = register(
    "statement.approved",
    _("Statement approved"),
    _("Every approval a statement needs was given."),
    redact=payloads.statement_metadata_only,
)
STATEMENT_PUBLISHED = register(
    "statement.published",
    _("Statement published"),
    _("A statement went public."),
    redact=payloads.statement_without_internal_notes,
)
STATEMENT_WITHDRAWN = register(
    "statement.withdrawn",
    _("Statement withdrawn"),
    _("A statement was taken back."),
    redact=payloads.statement_without_internal_notes,
)
# Response clocks and reminders (incidents/response.py emits them).
INCIDENT_RESPONSE_DUE_SOON = register(
    "incident.response_due_soon",
    _("Response due soon"),
    _("A response target of an incident (acknowledge, first response, update) is about to pass."),
)
INCIDENT_RESPONSE_OVERDUE = register(
    "incident.response_overdue",
    _("Response overdue"),
    _("A response target of an incident passed, or a review has waited too long."),
)

# Social listening (incidents/spikes.py emits it).
ALERT_FIRED = register(
    "alert.fired", _("Spike alert fired"), _("Mentions of a watch term spiked against their baseline.")
)


def choices() -> list[tuple[str, str]]:
    """``(code, label)`` pairs for forms and serializers, in registration order."""
    return [(event_type.code, event_type.label) for event_type in EVENT_TYPES.values()]


def is_registered(code: str) -> bool:
    return code in EVENT_TYPES
