"""The registry of webhook event types: the one place that lists what CrisisDesk can send.

Later features add theirs here (``alert.fired``, ``incident.response_overdue``…): a
subscription can only choose a registered type, and ``emit`` refuses an unknown one,
so a typo in a caller fails its tests instead of silently sending nothing.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class EventType:
    """One kind of event: its wire name (``incident.opened``) and a label for people."""

    code: str
    label: str
    description: str = ""


EVENT_TYPES: dict[str, EventType] = {}


def register(code: str, label, description="") -> EventType:
    """Add an event type to the registry (idempotent for the same code)."""
    event_type = EventType(code, label, description)
    EVENT_TYPES[code] = event_type
    return event_type


INCIDENT_OPENED = register("incident.opened", _("Incident opened"), _("A new incident was logged."))
INCIDENT_STATUS_CHANGED = register(
    "incident.status_changed", _("Incident status changed"), _("An incident moved along its workflow.")
)
INCIDENT_SEVERITY_CHANGED = register(
    "incident.severity_changed", _("Incident severity changed"), _("An incident's severity was raised or lowered.")
)
STATEMENT_SUBMITTED = register(
    "statement.submitted", _("Statement submitted"), _("A statement was sent to its reviewers.")
)
STATEMENT_APPROVED = register(
    "statement.approved", _("Statement approved"), _("Every approval a statement needs was given.")
)
STATEMENT_PUBLISHED = register("statement.published", _("Statement published"), _("A statement went public."))
STATEMENT_WITHDRAWN = register("statement.withdrawn", _("Statement withdrawn"), _("A statement was taken back."))
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
