"""The words of every chat message: one renderer per registered event type, from the outbox payload.

Chat, e-mail and SMS are public surface: a message holds only fixed interface text,
identifiers (incident reference, severity, status and clock codes, counts), absolute
links built from ``settings.CRISISDESK_SITE_URL``, and reviewed words (the approved
revision's title of a published statement). Never an incident's free-text title, a
draft's body, a comment or a withdrawal reason. A registered event type without a
renderer fails ``tests/test_messages.py``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

EXERCISE_PREFIX = "[EXERCISE] "
TITLE_MAX = 250


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def site_url(path: str) -> str:
    """An absolute link, or nothing when the site URL is not configured."""
    base = (getattr(settings, "CRISISDESK_SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else ""


def _incident(payload: dict) -> dict:
    incident = payload.get("incident")
    return incident if isinstance(incident, dict) else {}


def _reference(payload: dict) -> str:
    incident = payload.get("incident")
    if isinstance(incident, dict):
        return str(incident.get("reference") or "")
    statement = payload.get("statement")
    if isinstance(statement, dict) and statement.get("incident"):
        return str(statement["incident"])
    return str(incident or "")


def _incident_link(reference: str) -> str:
    return site_url(f"/incidents/{quote(reference, safe='')}/") if reference else ""


def _lines(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


def _severity_line(payload: dict) -> str:
    severity = _incident(payload).get("severity")
    return _("Severity: %s") % severity if severity is not None else ""


def _status_line(payload: dict) -> str:
    status = _incident(payload).get("status")
    return _("Status: %s") % status if status else ""


def _incident_opened(payload):
    ref = _reference(payload)
    return (
        _("Incident %s opened") % ref,
        _lines(_severity_line(payload), _status_line(payload), _incident_link(ref)),
    )


def _incident_status_changed(payload):
    ref = _reference(payload)
    change = _("Status: %(from)s → %(to)s") % {"from": payload.get("from", "?"), "to": payload.get("to", "?")}
    return _("Incident %s changed status") % ref, _lines(change, _severity_line(payload), _incident_link(ref))


def _incident_severity_changed(payload):
    ref = _reference(payload)
    change = _("Severity: %(from)s → %(to)s") % {"from": payload.get("from", "?"), "to": payload.get("to", "?")}
    return _("Incident %s changed severity") % ref, _lines(change, _status_line(payload), _incident_link(ref))


def _statement_line(payload) -> str:
    statement = payload.get("statement") if isinstance(payload.get("statement"), dict) else {}
    return _("Statement #%s") % statement["id"] if statement.get("id") is not None else ""


def _statement(title_text):
    def render(payload):
        ref = _reference(payload)
        return title_text() % ref, _lines(_statement_line(payload), _incident_link(ref))

    return render


def _statement_published(payload):
    ref = _reference(payload)
    statement = payload.get("statement") if isinstance(payload.get("statement"), dict) else {}
    # Reviewed words: a published statement's title is its approved revision's.
    reviewed_title = str(statement.get("title") or "") if statement.get("status") == "published" else ""
    return (
        _("Incident %s: statement published") % ref,
        _lines(reviewed_title, _statement_line(payload), site_url("/newsroom/"), _incident_link(ref)),
    )


def _response(title_text):
    def render(payload):
        ref = _reference(payload)
        clock = _("Clock: %s") % payload["clock"] if payload.get("clock") else ""
        due = _("Due: %s") % payload["due_at"] if payload.get("due_at") else ""
        return title_text() % ref, _lines(clock, due, _severity_line(payload), _incident_link(ref))

    return render


def _alert_fired(payload):
    ref = _reference(payload)
    count = _("Mentions: %(count)s (baseline %(baseline)s)") % {
        "count": payload.get("count", "?"),
        "baseline": payload.get("baseline", "?"),
    }
    return (
        _("Spike alert: mentions of a watched term spiked"),
        _lines(count, _("Incident: %s") % ref if ref else "", _incident_link(ref) or site_url("/mentions/")),
    )


def _test(payload):
    return _("CrisisDesk test message"), _("This destination is set up correctly.")


RENDERERS: dict[str, Callable[[dict], tuple[str, str]]] = {
    "incident.opened": _incident_opened,
    "incident.status_changed": _incident_status_changed,
    "incident.severity_changed": _incident_severity_changed,
    "statement.submitted": _statement(lambda: _("Incident %s: statement submitted for review")),
    "statement.approved": _statement(lambda: _("Incident %s: statement approved")),
    "statement.published": _statement_published,
    "statement.withdrawn": _statement(lambda: _("Incident %s: statement withdrawn")),
    "incident.response_due_soon": _response(lambda: _("Incident %s: response due soon")),
    "incident.response_overdue": _response(lambda: _("Incident %s: response overdue")),
    "alert.fired": _alert_fired,
}
TEST_EVENT = "chat.test"


def render(*, event_type: str, payload: dict, exercise: bool = False) -> Message:
    """The title and body of the chat message for this event, in the site's language."""
    renderer = _test if event_type == TEST_EVENT else RENDERERS[event_type]
    with translation.override(settings.LANGUAGE_CODE):
        title, body = renderer(payload or {})
    if exercise:
        title = EXERCISE_PREFIX + title
    return Message(title=title[:TITLE_MAX], body=body or title)
