"""Read playbooks' demo data from YAML: key messages, playbooks, the roster, the exercise and an activation.

Layout (texts in the language of their directory, never translated)::

    playbooks/demo/en/key_messages.yaml   playbooks/demo/fr/key_messages.yaml
    playbooks/demo/en/playbooks.yaml      playbooks/demo/fr/playbooks.yaml
    playbooks/demo/en/roster.yaml         departments and people (English job titles; people list their languages)
    playbooks/demo/en/exercise.yaml       the tabletop exercise and the playbook activated on a demo crisis

Key messages are keyed by their demo key (what a demo statement's ``from_key_message`` names);
``order`` fixes the order in which those of both languages are written (hence their ids).
``created_ago`` is before the seeding; ``submitted_after`` (default 30m, ``null``: a draft) and
``approved_after`` (default 4h by ``reviewer``, default legal; ``null``: still in review) after it;
``valid_for`` (default 365d) and ``review_in`` (default 90d) count from the seeding day, negative
in the past, ``null`` for none. Playbooks are keyed by their scenario; each is written by
``written_by`` (default lead2) and approved by ``approved_by`` (default lead); ``key_messages``
name key message topics; ``next_version`` is a new version waiting for review. Errors name the
file and the record (``crisisdesk.demo.DemoDataError``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from crisisdesk.demo import DemoDataError, Record, read_yaml, relative
from crisisdesk.review.models import BodyFormat, ContentLanguage
from incidents.demo.users import DEMO_USERNAMES
from incidents.models import Category, Channel
from playbooks.keymessages.models import KeyMessageKind

DEMO_DIR = Path(__file__).resolve().parent


def _files(directory: Path, name: str) -> list[tuple[str, Path]]:
    return [(language, directory / language / name) for language in ContentLanguage.values]


def _mapping(path: Path) -> dict:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise DemoDataError(f"{relative(path)}: expected a mapping of records by key, found {type(data).__name__}")
    return data


def _channels(r: Record, name: str) -> tuple[str, ...]:
    channels = r.texts(name)
    unknown = [channel for channel in channels if channel not in Channel.values]
    if unknown:
        r.fail(f"'{name}': unknown channel(s) {', '.join(unknown)}; expected: {', '.join(Channel.values)}")
    return tuple(channels)


# --- key messages ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoKeyMessage:
    """A prepared line, written ``created_ago``; reviewed by ``reviewer`` unless it still waits (``approved_after`` None)."""

    key: str
    kind: str
    topic: str
    title: str
    body: str
    author: str
    created_ago: timedelta
    submitted_after: timedelta | None = timedelta(minutes=30)
    reviewer: str = "legal"
    approved_after: timedelta | None = timedelta(hours=4)
    language: str = "en"
    body_format: str = BodyFormat.PLAIN
    valid_for: timedelta | None = timedelta(days=365)
    review_in: timedelta | None = timedelta(days=90)


def _key_message(key: str, r: Record, language: str) -> DemoKeyMessage:
    spec = DemoKeyMessage(
        key=key,
        kind=KeyMessageKind(r.choice("kind", KeyMessageKind.values)),
        topic=r.text("topic"),
        title=r.text("title"),
        body=r.text("body"),
        author=r.choice("author", DEMO_USERNAMES),
        created_ago=r.duration("created_ago"),
        submitted_after=r.duration("submitted_after", DemoKeyMessage.submitted_after, nullable=True),
        reviewer=r.choice("reviewer", DEMO_USERNAMES, DemoKeyMessage.reviewer),
        approved_after=r.duration("approved_after", DemoKeyMessage.approved_after, nullable=True),
        language=language,
        body_format=BodyFormat(r.choice("body_format", BodyFormat.values, DemoKeyMessage.body_format)),
        valid_for=r.duration("valid_for", DemoKeyMessage.valid_for, nullable=True),
        review_in=r.duration("review_in", DemoKeyMessage.review_in, nullable=True),
    )
    if spec.approved_after is not None and (spec.submitted_after is None or spec.approved_after < spec.submitted_after):
        r.fail("approved before it was submitted")
    if max(spec.submitted_after or timedelta(0), spec.approved_after or timedelta(0)) > spec.created_ago:
        r.fail("reviewed in the future")
    return spec


def load_key_messages(directory: Path = DEMO_DIR) -> tuple[DemoKeyMessage, ...]:
    """Both languages' key messages, in their ``order``."""
    ordered: dict[int, DemoKeyMessage] = {}
    for language, path in _files(directory, "key_messages.yaml"):
        for key, data in _mapping(path).items():
            r = Record(data, f"{relative(path)}, key message {key!r}")
            order = r.integer("order")
            if order in ordered:
                r.fail(f"order {order} is already key message {ordered[order].key!r}'s")
            ordered[order] = _key_message(str(key), r, language)
            r.done()
    keys = [spec.key for spec in ordered.values()]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise DemoDataError(f"{relative(directory)}: key message key(s) used in two languages: {', '.join(twice)}")
    return tuple(ordered[order] for order in sorted(ordered))


# --- playbooks ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPlaybook:
    title: str
    scenario: str
    language: str
    trigger_criteria: str
    severity_guide: str
    channels: tuple[str, ...]
    escalation_contacts: str
    steps: tuple[tuple[str, str, int, str], ...]  # (what, role code, within minutes, instructions)
    key_messages: tuple[str, ...] = ()  # topics of demo key messages
    review_in_days: int = 120  # negative: the review is overdue
    owner: str = "lead"
    summary: str = "First approved version."
    next_version: dict = field(default_factory=dict)  # a v2 waiting for review, if given: the fields it changes
    written_by: str = "lead2"
    approved_by: str = "lead"
    next_version_by: str = "comms"
    next_version_comment: str = ""


NEXT_VERSION_FIELDS = ("summary", "trigger_criteria", "severity_guide", "escalation_contacts")


def _playbook_step(r: Record) -> tuple[str, str, int, str]:
    step = (r.text("title"), r.text("role"), r.integer("within_minutes"), r.text("instructions", "", blank=True))
    r.done()
    return step


def _playbook(scenario: str, r: Record, language: str) -> DemoPlaybook:
    steps = r.value("steps")
    if not isinstance(steps, list) or not steps:
        r.fail("'steps' must be a list of steps")
    next_version, by, comment = {}, DemoPlaybook.next_version_by, ""
    if r.has("next_version"):
        nv = Record(r.value("next_version"), f"{r.where}, next_version")
        by, comment = nv.choice("by", DEMO_USERNAMES, by), nv.text("comment")
        next_version = {name: nv.text(name) for name in NEXT_VERSION_FIELDS if nv.has(name)}
        nv.done()
    return DemoPlaybook(
        title=r.text("title"),
        scenario=scenario,
        language=language,
        trigger_criteria=r.text("trigger_criteria"),
        severity_guide=r.text("severity_guide"),
        channels=_channels(r, "channels"),
        escalation_contacts=r.text("escalation_contacts"),
        steps=tuple(_playbook_step(Record(step, f"{r.where}, step {n}")) for n, step in enumerate(steps, 1)),
        key_messages=tuple(r.texts("key_messages", [])),
        review_in_days=r.integer("review_in_days", DemoPlaybook.review_in_days),
        owner=r.choice("owner", DEMO_USERNAMES, DemoPlaybook.owner),
        summary=r.text("summary", DemoPlaybook.summary),
        next_version=next_version,
        written_by=r.choice("written_by", DEMO_USERNAMES, DemoPlaybook.written_by),
        approved_by=r.choice("approved_by", DEMO_USERNAMES, DemoPlaybook.approved_by),
        next_version_by=by,
        next_version_comment=comment,
    )


def load_playbooks(directory: Path = DEMO_DIR) -> tuple[DemoPlaybook, ...]:
    """English playbooks, then French ones, each file in its order."""
    playbooks = []
    for language, path in _files(directory, "playbooks.yaml"):
        for scenario, data in _mapping(path).items():
            r = Record(data, f"{relative(path)}, playbook {scenario!r}")
            if scenario not in Category.values:
                r.fail(f"a playbook is keyed by its scenario, one of: {', '.join(Category.values)}")
            if any(playbook.scenario == scenario for playbook in playbooks):
                r.fail("another language's file has a playbook for this scenario already")
            playbooks.append(_playbook(scenario, r, language))
            r.done()
    return tuple(playbooks)


# --- roster, exercise and activation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPerson:
    full_name: str
    department: str
    job_title: str
    phone: str
    responsibilities: str
    roles: tuple[tuple[str, int], ...]
    languages: tuple[str, ...] = ("en",)
    username: str | None = None  # the demo login this person uses
    backup: str | None = None


def load_roster(path: Path = DEMO_DIR / "en" / "roster.yaml") -> tuple[dict[str, str], tuple[DemoPerson, ...]]:
    """Departments (name: description) and people, with their backups among them."""
    where = relative(path)
    r = Record(read_yaml(path), where)
    departments = Record(r.value("departments"), f"{where}, departments")
    descriptions = {str(name): departments.text(name) for name in list(departments.data)}
    departments.done()
    people_data = r.value("people")
    if not isinstance(people_data, dict):
        r.fail("'people' must be a mapping of people by full name")
    people = []
    for name, data in people_data.items():
        p = Record(data, f"{where}, person {name!r}")
        roles = Record(p.value("roles"), f"{where}, person {name!r}, roles")
        people.append(
            DemoPerson(
                full_name=str(name),
                department=p.choice("department", descriptions),
                job_title=p.text("job_title"),
                phone=p.text("phone"),
                responsibilities=p.text("responsibilities"),
                roles=tuple((str(code), roles.integer(code)) for code in list(roles.data)),
                languages=tuple(p.texts("languages")),
                username=p.choice("username", DEMO_USERNAMES, None),
                backup=p.choice("backup", people_data, None),
            )
        )
        roles.done()
        p.done()
    r.done()
    return descriptions, tuple(people)


@dataclass(frozen=True)
class DemoExercise:
    title: str
    playbook: str  # a demo playbook's scenario
    held_ago: timedelta
    scheduled_by: str
    participants: tuple[str, ...]  # roster names
    findings: str
    follow_up_actions: str


@dataclass(frozen=True)
class DemoActivation:
    """A playbook activated on a demo crisis, ``after_detection`` but no more than ``at_most_ago``; tasks done in order."""

    playbook: str  # a demo playbook's scenario
    incident: str  # a demo crisis's scenario key (incidents/demo/<language>/<key>.yaml)
    by: str
    after_detection: timedelta
    at_most_ago: timedelta
    done_by: str
    done_before_due: timedelta
    task_notes: tuple[str, ...]  # one per task done, in the checklist's order ("" for no note)


def load_exercise(path: Path = DEMO_DIR / "en" / "exercise.yaml") -> tuple[DemoExercise, DemoActivation]:
    where = relative(path)
    r = Record(read_yaml(path), where)
    e = Record(r.value("exercise"), f"{where}, exercise")
    exercise = DemoExercise(
        title=e.text("title"),
        playbook=e.choice("playbook", Category.values),
        held_ago=e.duration("held_ago"),
        scheduled_by=e.choice("scheduled_by", DEMO_USERNAMES),
        participants=tuple(e.texts("participants")),
        findings=e.text("findings"),
        follow_up_actions=e.text("follow_up_actions"),
    )
    e.done()
    a = Record(r.value("activation"), f"{where}, activation")
    notes = a.value("task_notes")
    if not isinstance(notes, list) or not all(isinstance(note, str) for note in notes):
        a.fail("'task_notes' must be a list of texts")
    activation = DemoActivation(
        playbook=a.choice("playbook", Category.values),
        incident=a.text("incident"),
        by=a.choice("by", DEMO_USERNAMES),
        after_detection=a.duration("after_detection"),
        at_most_ago=a.duration("at_most_ago"),
        done_by=a.choice("done_by", DEMO_USERNAMES),
        done_before_due=a.duration("done_before_due"),
        task_notes=tuple(notes),
    )
    a.done()
    r.done()
    return exercise, activation
