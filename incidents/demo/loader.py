"""Read the demo crises and demo mentions from their YAML files, with errors that name the file and the scenario.

Layout (one file per crisis, its language given by its directory)::

    incidents/demo/en/<scenario>.yaml   crises that happen in English
    incidents/demo/fr/<scenario>.yaml   crises that happen in French
    incidents/demo/mentions.yaml        watch terms, spike rule and sample posts (a social network mixes languages)

A crisis's texts (title, notes, facts, statements…) are written in its language and are not
translated; the system lines the services add (status changes…) follow it too. The file name
(without ``.yaml``) is the scenario's key, unique across languages. A scenario file holds::

    title, summary, source: texts                 category: incidents.models.Category value
    severity: critical | high | medium | low      channels: [Channel values]
    detected_ago: how long before the seeding     opened_after: after detection
    opened_by, lead (optional): demo usernames    confidential, is_exercise: true/false (default false)
    steps: what the team did                      statements: what was said in public, and its review

Durations read ``45m``, ``2h 30m``, ``1d 4h`` (or ``2.5h``). Every step has ``at`` (after
detection), ``by`` (a demo username) and exactly one action key, whose value is its main argument:

- steps: ``note`` / ``decision`` / ``escalation`` (the text); ``status`` (+ ``comment``);
  ``severity`` (+ ``comment``); ``lead`` (a username); ``member`` (a username, + ``role``: an
  incident role code); ``fact`` (its key, + ``claim``, ``source``); ``verify`` (a fact key, +
  ``verdict``: confirmed | refuted, ``comment``: the verification note);
- statements, named by a key within the incident: ``draft`` (+ ``channels``, and ``title`` and
  ``body``, or ``from_key_message``: a demo key message's key; optional ``cites``: fact keys,
  ``language``, ``audience``, ``body_format``); ``edit`` (+ ``comment`` and the fields that
  change); ``submit`` / ``approve`` (+ ``comment``); ``request_changes`` / ``reject`` (+
  ``comment``); ``publish``; ``live_url`` (+ ``channel``, ``url``); ``withdraw`` (+ ``reason``).

Steps and statements are played together in time order (on a tie, steps first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from crisisdesk.demo import DemoDataError, Record, read_yaml, relative
from crisisdesk.review.models import BodyFormat, ContentLanguage
from incidents.demo.users import DEMO_USERNAMES
from incidents.models import Category, Channel, FactStatus, Severity, Status, TimelineKind

DEMO_DIR = Path(__file__).resolve().parent
MENTIONS_FILE = DEMO_DIR / "mentions.yaml"


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@dataclass(frozen=True)
class Step:
    """One thing a person did on an incident, ``at`` a time after its detection."""

    at: timedelta
    actor: str
    action: str
    args: dict


def note(at, actor, body) -> Step:
    return Step(at, actor, "note", {"body": body, "kind": TimelineKind.NOTE})


@dataclass(frozen=True)
class DemoIncident:
    """One scripted crisis: how it was opened, and what the team did afterwards."""

    title: str
    summary: str
    category: str
    severity: int
    source: str
    channels: list[str]
    detected_ago: timedelta
    opened_after: timedelta
    opened_by: str
    lead: str | None = None
    confidential: bool = False
    is_exercise: bool = False
    language: str = "en"
    steps: list[Step] = field(default_factory=list)
    # What was said in public, and how it got through review: played in time order with ``steps``.
    statements: list[Step] = field(default_factory=list)
    key: str = ""  # the file name without .yaml


def _check_in_order(title: str, steps: list[Step], start: timedelta, end: timedelta) -> None:
    previous = start
    for step in steps:
        if step.at < previous or step.at > end:
            raise ValueError(f"{title!r}: step {step.action} at {step.at} is out of order or in the future.")
        previous = step.at


def check_script(spec: DemoIncident) -> None:
    """A script out of order would write a timeline that runs backwards, or into the future."""
    if spec.opened_after > spec.detected_ago:
        raise ValueError(f"{spec.title!r}: opened in the future.")
    _check_in_order(spec.title, spec.steps, spec.opened_after, spec.detected_ago)
    _check_in_order(spec.title, spec.statements, spec.opened_after, spec.detected_ago)


# --- steps ----------------------------------------------------------------------------------------------------------

SEVERITIES = {member.name.lower(): member for member in Severity}
VERDICTS = (FactStatus.CONFIRMED, FactStatus.REFUTED)
STATEMENT_CHANGES = ("title", "body", "channels", "language", "audience", "body_format")


def _comment(r: Record, name: str = "comment") -> str:
    return r.text(name, "", blank=True)


def _note_reader(kind: str) -> Callable[[Record], tuple[str, dict]]:
    return lambda r: ("note", {"body": r.text(kind), "kind": TimelineKind(kind)})


def _channels(r: Record, name: str) -> list[str]:
    channels = r.texts(name)
    unknown = [channel for channel in channels if channel not in Channel.values]
    if unknown:
        r.fail(f"'{name}': unknown channel(s) {', '.join(unknown)}; expected: {', '.join(Channel.values)}")
    return channels


def _draft(r: Record) -> tuple[str, dict]:
    args = {"key": r.text("draft"), "channels": _channels(r, "channels")}
    args["title"], args["body"] = r.optional_text("title"), r.optional_text("body")
    args["from_key_message"] = r.optional_text("from_key_message")
    if args["from_key_message"] is None and not (args["title"] and args["body"]):
        r.fail("a draft needs a 'title' and a 'body', or 'from_key_message'")
    args["cites"] = r.texts("cites", [])
    if r.has("language"):
        args["language"] = r.choice("language", ContentLanguage.values)
    if r.has("audience"):
        args["audience"] = r.text("audience")
    if r.has("body_format"):
        args["body_format"] = BodyFormat(r.choice("body_format", BodyFormat.values))
    return "draft", args


def _edit(r: Record) -> tuple[str, dict]:
    changes = {name: r.text(name) for name in ("title", "body", "audience") if r.has(name)}
    if r.has("channels"):
        changes["channels"] = _channels(r, "channels")
    if r.has("language"):
        changes["language"] = r.choice("language", ContentLanguage.values)
    if r.has("body_format"):
        changes["body_format"] = BodyFormat(r.choice("body_format", BodyFormat.values))
    if not changes:
        r.fail(f"an edit changes at least one of: {', '.join(STATEMENT_CHANGES)}")
    return "edit", {"key": r.text("edit"), "comment": _comment(r), "changes": changes}


TIMELINE_ACTIONS: dict[str, Callable[[Record], tuple[str, dict]]] = {
    "note": _note_reader("note"),
    "decision": _note_reader("decision"),
    "escalation": _note_reader("escalation"),
    "status": lambda r: ("status", {"to_status": Status(r.choice("status", Status.values)), "comment": _comment(r)}),
    "severity": lambda r: (
        "severity",
        {"severity": SEVERITIES[r.choice("severity", SEVERITIES)], "comment": _comment(r)},
    ),
    "lead": lambda r: ("lead", {"lead": r.choice("lead", DEMO_USERNAMES)}),
    "member": lambda r: ("member", {"user": r.choice("member", DEMO_USERNAMES), "role": r.text("role")}),
    "fact": lambda r: ("fact", {"key": r.text("fact"), "claim": r.text("claim"), "source": _comment(r, "source")}),
    "verify": lambda r: (
        "verify",
        {"key": r.text("verify"), "status": FactStatus(r.choice("verdict", VERDICTS)), "note": _comment(r)},
    ),
}

STATEMENT_ACTIONS: dict[str, Callable[[Record], tuple[str, dict]]] = {
    "draft": _draft,
    "edit": _edit,
    "submit": lambda r: ("submit", {"key": r.text("submit"), "comment": _comment(r)}),
    "approve": lambda r: ("approve", {"key": r.text("approve"), "comment": _comment(r)}),
    "request_changes": lambda r: ("request_changes", {"key": r.text("request_changes"), "comment": r.text("comment")}),
    "reject": lambda r: ("reject", {"key": r.text("reject"), "comment": r.text("comment")}),
    "publish": lambda r: ("publish", {"key": r.text("publish")}),
    "live_url": lambda r: (
        "live_url",
        {"key": r.text("live_url"), "channel": r.choice("channel", Channel.values), "url": r.text("url")},
    ),
    "withdraw": lambda r: ("withdraw", {"key": r.text("withdraw"), "reason": r.text("reason")}),
}


def _read_steps(items, where: str, actions: dict) -> list[Step]:
    if not isinstance(items, list):
        raise DemoDataError(f"{where}: expected a list of steps, found {type(items).__name__}")
    steps = []
    for n, item in enumerate(items, 1):
        r = Record(item, f"{where} {n}")
        at, actor = r.duration("at"), r.choice("by", DEMO_USERNAMES)
        named = [name for name in actions if r.has(name)]
        if len(named) != 1:
            found = f"found {', '.join(named)}" if named else "found none"
            r.fail(f"a step has exactly one action among {', '.join(actions)}; {found}")
        action, args = actions[named[0]](r)
        r.done()
        steps.append(Step(at, actor, action, args))
    return steps


def _check_references(spec: DemoIncident, where: str) -> None:
    """Facts are verified and cited, statements reviewed, only once they exist (in the order they are played)."""
    facts, statements = set(), {}
    for step in sorted([*spec.steps, *spec.statements], key=lambda step: step.at):
        key, args = step.args.get("key"), step.args
        problem = None
        if step.action == "fact":
            facts.add(key)
        elif step.action == "verify" and key not in facts:
            problem = f"verifies fact {key!r} before it is added"
        elif step.action == "draft":
            missing = [fact for fact in args["cites"] if fact not in facts]
            if key in statements:
                problem = f"drafts statement {key!r} a second time"
            elif missing:
                problem = f"statement {key!r} cites fact(s) not added yet: {', '.join(missing)}"
            statements[key] = args["channels"]
        elif step.action in STATEMENT_ACTIONS and key not in statements:
            problem = f"{step.action} of statement {key!r} before it is drafted"
        elif step.action == "edit" and "channels" in args["changes"]:
            statements[key] = args["changes"]["channels"]
        elif step.action == "live_url" and args["channel"] not in statements[key]:
            problem = f"live URL on {args['channel']!r}, which is not one of statement {key!r}'s channels"
        if problem:
            raise DemoDataError(f"{where}: step {step.action} at {step.at}: {problem}")


def load_incident(path: Path, language: str) -> DemoIncident:
    """One scenario file; ``DemoDataError`` if anything in it is malformed."""
    key = path.stem
    where = f"{relative(path)}, scenario {key!r}"
    r = Record(read_yaml(path), where)
    spec = DemoIncident(
        title=r.text("title"),
        summary=r.text("summary"),
        category=Category(r.choice("category", Category.values)),
        severity=SEVERITIES[r.choice("severity", SEVERITIES)],
        source=r.text("source", "", blank=True),
        channels=_channels(r, "channels"),
        detected_ago=r.duration("detected_ago"),
        opened_after=r.duration("opened_after"),
        opened_by=r.choice("opened_by", DEMO_USERNAMES),
        lead=r.choice("lead", DEMO_USERNAMES, None),
        confidential=r.boolean("confidential"),
        is_exercise=r.boolean("is_exercise"),
        language=language,
        steps=_read_steps(r.value("steps", []), f"{where}, step", TIMELINE_ACTIONS),
        statements=_read_steps(r.value("statements", []), f"{where}, statement step", STATEMENT_ACTIONS),
        key=key,
    )
    r.done()
    try:
        check_script(spec)
    except ValueError as exc:
        raise DemoDataError(f"{where}: {exc}") from exc
    _check_references(spec, where)
    return spec


def load_incidents(directory: Path = DEMO_DIR) -> tuple[DemoIncident, ...]:
    """Every scenario under ``directory/<language>/``, English first, each language by file name."""
    specs: list[DemoIncident] = []
    for language in ContentLanguage.values:
        specs += [load_incident(path, language) for path in sorted((directory / language).glob("*.yaml"))]
    others = [path for path in directory.glob("*/*.yaml") if path.parent.name not in ContentLanguage.values]
    if others:
        raise DemoDataError(f"{relative(others[0])}: scenarios go in a language directory: {ContentLanguage.values}")
    keys = [spec.key for spec in specs]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise DemoDataError(f"{relative(directory)}: scenario key(s) used in two languages: {', '.join(twice)}")
    if not specs:
        raise DemoDataError(f"{relative(directory)}: no scenario found")
    return tuple(specs)


@dataclass(frozen=True)
class DemoMentions:
    """What the demo's social listening watches, and the posts it is fed (drawn at random, with a fixed seed)."""

    watch_terms: dict[str, str]  # term: kind
    spike_rule: dict  # name, term, min_count, default_category, default_severity
    quiet: tuple[str, ...]  # a week of ordinary posts
    quiet_count: int
    burst: tuple[str, ...]  # the negative burst of the last hour
    burst_count: int


def load_mentions(path: Path = MENTIONS_FILE) -> DemoMentions:
    where = relative(path)
    r = Record(read_yaml(path), where)
    terms = Record(r.value("watch_terms"), f"{where}, watch_terms")
    watch_terms = {term: terms.text(term) for term in list(terms.data)}
    terms.done()
    rule = Record(r.value("spike_rule"), f"{where}, spike_rule")
    spike_rule = {
        "name": rule.text("name"),
        "term": rule.choice("term", watch_terms),
        "min_count": rule.integer("min_count"),
        # What "Open incident" on the rule's alerts pre-fills.
        "default_category": rule.choice("default_category", Category.values, default=Category.VIRAL_COMPLAINT),
        "default_severity": rule.choice("default_severity", Severity.values, default=Severity.MEDIUM),
    }
    rule.done()
    posts = {}
    for name in ("quiet", "burst"):
        part = Record(r.value(name), f"{where}, {name}")
        posts[name] = (tuple(part.texts("texts")), part.integer("count"))
        part.done()
    r.done()
    return DemoMentions(watch_terms, spike_rule, posts["quiet"][0], posts["quiet"][1], *posts["burst"])
