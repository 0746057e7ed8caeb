"""System timeline entries: stored as an event code and its parameters, rendered in the reader's language.

A service writes ``timeline.log(incident=…, kind=…, event=SOME_EVENT, params={…})``; the entry keeps
``event`` (a stable code such as ``incident.status_changed``) and ``params`` (the values the
sentence needs: codes, names, titles). ``render(entry)`` turns them into a sentence with gettext *at
display time*, so a French reader sees French whatever the language of whoever caused the entry.
``body`` keeps the English sentence: a readable fallback for exports, search and unknown codes.

Notes, decisions and escalations typed by a person have no event: they show as typed.

Each domain declares its events next to the service that writes them (``event(...)`` registers the
code); a parameter may name a *converter* that turns a stored code into its translated label
(``{"from": Status}`` shows ``Status("detected").label``).
"""

from collections.abc import Callable

from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext

from crisisdesk import live

_EVENTS: dict[str, "Event"] = {}

# Parameters appended after the sentence when given (a person's comment on a transition).
SUFFIXES = {"comment": " {}", "note": " — {}"}


class Event:
    """One kind of system entry: its code, its sentence (a lazy msgid) and how its parameters show."""

    def __init__(self, code: str, template, converters: dict[str, Callable | type[TextChoices]] | None = None):
        self.code = code
        self.template = template
        self.converters = converters or {}

    def _convert(self, name: str, value):
        converter = self.converters.get(name)
        if converter is None or value is None:
            return value
        if isinstance(converter, type) and issubclass(converter, TextChoices):
            return converter(value).label if value in converter.values else value
        return converter(value)

    def render(self, params: dict) -> str:
        values = {name: self._convert(name, value) for name, value in (params or {}).items()}
        text = str(self.template) % _Defaulting(values)
        for name, shape in SUFFIXES.items():
            if values.get(name):
                text += shape.format(values[name])
        return text

    def __repr__(self):
        return f"<timeline event {self.code}>"


class _Defaulting(dict):
    """A missing parameter (an old entry, a renamed key) shows as "?" instead of raising."""

    def __missing__(self, key):
        return "?"


def event(code: str, template, converters: dict | None = None) -> Event:
    """Declare (and register) an event; declaring a code twice keeps the last declaration."""
    declared = Event(code, template, converters)
    _EVENTS[code] = declared
    return declared


def get_event(code: str) -> Event | None:
    return _EVENTS.get(code)


def events() -> dict[str, Event]:
    return dict(_EVENTS)


def english(declared: Event, params: dict) -> str:
    """The sentence stored in ``body``: English, whatever language the request was in."""
    with translation.override("en"):
        return declared.render(params)


def log(*, incident=None, incident_id=None, kind: str, event: Event, params: dict, actor=None, data=None):
    """Append a system entry (the caller holds the transaction and the lock)."""
    from incidents.models import TimelineEntry

    # Live pages: the war room (and the incident's other pages) refresh on commit.
    live.touch(live.INCIDENTS, live.incident_topic(incident if incident is not None else incident_id))
    return TimelineEntry.objects.create(
        incident=incident,
        **({"incident_id": incident_id} if incident is None else {}),
        kind=kind,
        body=english(event, params),
        event=event.code,
        params=params,
        author=actor,
        data=data or {},
    )


def render(entry) -> str:
    """The entry's text in the active language: its event rendered, or its body as typed."""
    declared = get_event(entry.event) if entry.event else None
    if declared is None:
        return entry.body
    try:
        return declared.render(entry.params)
    except (TypeError, ValueError, KeyError):
        # A template and its parameters that no longer agree: the stored sentence, not a 500.
        return entry.body


def translated_label(value):
    """A converter for names stored in English that the catalogue translates (incident roles)."""
    return gettext(value) if value else value


# --- the incident core's events (domains declare theirs next to their services) ---------------

from django.utils.translation import gettext_lazy as _  # noqa: E402

from incidents.models import FactStatus, Status  # noqa: E402


def _incident_fields(names):
    from incidents.models import Incident

    labels = []
    for name in names or []:
        try:
            labels.append(str(Incident._meta.get_field(name).verbose_name))
        except Exception:  # a field since removed: its name, not a 500
            labels.append(str(name))
    return ", ".join(labels)


INCIDENT_OPENED = event("incident.opened", _("Incident opened at severity %(severity)s."))
INCIDENT_EDITED = event("incident.edited", _("Edited: %(fields)s."), {"fields": _incident_fields})
INCIDENT_STATUS_CHANGED = event(
    "incident.status_changed", _("Status changed from %(from)s to %(to)s."), {"from": Status, "to": Status}
)
INCIDENT_ACKNOWLEDGED = event("incident.acknowledged", _("Incident acknowledged."))
INCIDENT_SEVERITY_CHANGED = event("incident.severity_changed", _("Severity changed from %(old)s to %(new)s."))
INCIDENT_LEAD_CHANGED = event("incident.lead_changed", _("Lead changed from %(old)s to %(new)s."))
TEAM_JOINED = event("team.joined", _("%(user)s joined the crisis team as %(role)s."), {"role": translated_label})
TEAM_LEFT = event("team.left", _("%(user)s left the role %(role)s."), {"role": translated_label})
FACT_REGISTERED = event("fact.registered", _("Fact registered: %(claim)s"))
FACT_CONFIRMED = event("fact.confirmed", _("Fact confirmed: %(claim)s"))
FACT_REFUTED = event("fact.refuted", _("Fact refuted: %(claim)s"))
FACT_VERDICTS = {FactStatus.CONFIRMED: FACT_CONFIRMED, FactStatus.REFUTED: FACT_REFUTED}
