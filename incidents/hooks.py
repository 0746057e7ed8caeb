"""Extension points of the incidents app: what it needs from the apps above it.

The apps depend in one direction — postmortems → playbooks → incidents → crisisdesk — and the
import-linter contracts in ``pyproject.toml`` (run by ``make lint``) refuse an import the other
way. Where incidents needs something that only an app above it knows, that app registers it here
from its ``AppConfig.ready()`` (as Wagtail's hooks do):

- ``key_message_library``: the key messages a statement may start from (``playbooks.keymessages``);
- ``playbook_catalogue``: the playbooks that can be activated on an incident (``playbooks``);
- ``on_incident_resolved``: callbacks run inside the transaction that resolves an incident
  (``postmortems`` drafts the post-crisis review there, so a rolled-back resolution leaves none);
- ``on_duty``: who is on duty for the crisis team now (``playbooks.roster``: the first call of each
  role); spike alerts notify them in the app. Optional: nobody registered means nobody on duty;
- ``on_fact_refuted``: callbacks run inside the transaction that refutes a fact (statements flags
  the published statements that cite it, logs it and tells their people, on commit). The incidents
  core does not import its domain packages' services: ``IncidentsConfig.ready()`` registers it.

The library and the catalogue are required (this project always installs playbooks): asking for one
that nobody registered raises ``ImproperlyConfigured`` instead of silently offering nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

#: The kind of key message a holding statement is drafted from (``playbooks.keymessages.models.KeyMessageKind``).
HOLDING_STATEMENT = "holding_statement"


@dataclass(frozen=True)
class KeyMessageSuggestion:
    """One usable key message ranked for an incident: best first (``rank`` 1), with the reason shown to people.

    ``fits`` says it may pre-fill a holding statement by itself: a holding statement (public words, not an
    internal line to take or Q&A) in the incident's language whose category is the incident's or general.
    """

    key_message: object
    rank: int
    reason: str
    categories: tuple[str, ...] = field(default=())
    same_category: bool = False
    same_language: bool = False
    fits: bool = False

    @property
    def category(self) -> str | None:
        """The category it is filed under for this incident: the incident's when it matches, else its first."""
        return self.categories[0] if self.categories else None


class KeyMessageLibrary(Protocol):
    """The pre-approved lines a statement may start from."""

    def visible(self, user) -> QuerySet:
        """Every key message ``user`` may read (the API looks a requested source up in these)."""

    def usable(self, user) -> QuerySet:
        """The ones ``user`` may read that a statement may start from now (approved, unexpired)."""

    def kind_choices(self) -> list[tuple[str, str]]:
        """The kinds of key message, as (code, label) choices (holding statement, line to take, Q&A)."""

    def ranked(self, user, *, incident, kind: str | None = None, language: str | None = None) -> list:
        """The usable ones as ``KeyMessageSuggestion``, best first for ``incident`` (category, language, kind).

        ``language`` defaults to the incident's (the language of its latest statement, else ``LANGUAGE_CODE``).
        """


class PlaybookCatalogue(Protocol):
    """The crisis plans whose steps become an incident's checklist."""

    def activatable(self, user) -> QuerySet:
        """Playbooks ``user`` may read that have an approved version to activate."""

    def suggested(self, user, *, incident, playbooks=None):
        """The activatable playbook to preselect for ``incident`` (its category), or None: then nobody guesses.

        ``playbooks``: the activatable ones already fetched, to choose among without another query.
        """


_key_message_library: KeyMessageLibrary | None = None
_playbook_catalogue: PlaybookCatalogue | None = None
_on_incident_resolved: list[Callable] = []
_on_fact_refuted: list[Callable] = []
_on_duty: Callable | None = None


def register_key_message_library(library: KeyMessageLibrary) -> None:
    global _key_message_library
    _key_message_library = library


def register_playbook_catalogue(catalogue: PlaybookCatalogue) -> None:
    global _playbook_catalogue
    _playbook_catalogue = catalogue


def register_on_incident_resolved(callback: Callable) -> None:
    """``callback(incident=…, actor=…)`` runs inside the resolving transaction; registering twice is a no-op."""
    if callback not in _on_incident_resolved:
        _on_incident_resolved.append(callback)


def register_on_fact_refuted(callback: Callable) -> None:
    """``callback(fact=…, incident=…, actor=…)`` runs inside the refuting transaction; registering twice is a no-op."""
    if callback not in _on_fact_refuted:
        _on_fact_refuted.append(callback)


def register_on_duty(provider: Callable) -> None:
    """``provider()`` returns the user accounts on duty now (a queryset or list of users)."""
    global _on_duty
    _on_duty = provider


def on_duty_users() -> list:
    """The users on duty now, as the roster says; an empty list when no roster is installed."""
    return list(_on_duty()) if _on_duty is not None else []


def key_message_library() -> KeyMessageLibrary:
    if _key_message_library is None:
        raise ImproperlyConfigured("No key message library is registered (playbooks registers it in ready()).")
    return _key_message_library


def playbook_catalogue() -> PlaybookCatalogue:
    if _playbook_catalogue is None:
        raise ImproperlyConfigured("No playbook catalogue is registered (playbooks registers it in ready()).")
    return _playbook_catalogue


def incident_resolved(*, incident, actor) -> None:
    """Run every registered callback; they share the caller's transaction (and its rollback)."""
    for callback in _on_incident_resolved:
        callback(incident=incident, actor=actor)


def fact_refuted(*, fact, incident, actor) -> None:
    """Run every registered callback; they share the caller's transaction (and its rollback)."""
    for callback in _on_fact_refuted:
        callback(fact=fact, incident=incident, actor=actor)
