"""The demo's kernel: an ordered registry of seeding steps that the apps fill in, and helpers to read their files.

``manage.py seed_demo`` (``crisisdesk.management.commands.seed_demo``) knows no app. Each app
registers, from its ``AppConfig.ready()``, the steps it owns and the sections it prints:

- ``register(order, name, seed, once=..., reset=..., is_seeded=...)``: ``seed(context)`` runs in
  ``order`` (lowest first). A ``once`` step belongs to the one-off scenario: it is skipped when a
  step's ``is_seeded()`` says the demo is already there. ``reset(context)`` hooks run, last step
  first, when the command is given ``--reset``;
- ``register_summary(order, name, write)``: ``write(context)`` prints a section of the closing
  summary, after the seeding transaction.

Steps talk to each other only through the ``DemoContext``: the users (filled by the first step),
"now" (the seeding minute) and ``produced``, what earlier steps made (key messages by their file
key, the incidents…), so an app reads what an app to its right produced without importing it.

Each app keeps its demo data in YAML files under ``<app>/demo/`` with a loader of its own;
``read_yaml`` and ``Record`` here give every loader the same checks and the same error
messages, which name the file and the record (``DemoDataError``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.color import no_style
from django.utils import timezone
from django.utils.translation import gettext as _

# --- reading demo files ---------------------------------------------------------------------------------------------


class DemoDataError(ValueError):
    """A demo file is malformed; the message names the file and the record (scenario, step…)."""


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe YAML that refuses a key given twice in one mapping (plain YAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice in this mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def relative(path: Path) -> str:
    """A file's path as people read it in an error: from the project root when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(path)


def read_yaml(path: Path) -> Any:
    """The content of one YAML file; a syntax error names the file, the line and the column."""
    try:
        with open(path, encoding="utf-8") as stream:
            return yaml.load(stream, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise DemoDataError(f"{relative(path)}: not valid YAML: {exc}") from exc


_DURATION = re.compile(r"^(-)?\s*(?:(\d+(?:\.\d+)?)d)?\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?$")


def parse_duration(text: str) -> timedelta:
    """``"1d 2h 30m"``, ``"2.5h"``, ``"-12d"``: days, hours and minutes, each optional, in that order."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if match is None or not any(match.group(2, 3, 4)):
        raise ValueError(f"{text!r} is not a duration such as '45m', '2h 30m' or '1d 4h'")
    sign, d, h, m = match.groups()
    value = timedelta(days=float(d or 0), hours=float(h or 0), minutes=float(m or 0))
    return -value if sign else value


_REQUIRED = object()


class Record:
    """One mapping read from a demo file; its fields are taken one by one, each checked, then ``done()``.

    ``where`` names it in errors, e.g. ``incidents/demo/en/outage.yaml, scenario 'outage', step 3``.
    """

    def __init__(self, data: Any, where: str):
        self.where = where
        if not isinstance(data, dict):
            self.fail(f"expected a mapping of fields, found {type(data).__name__}")
        self.data = data
        self.taken: set[str] = set()

    def fail(self, message: str):
        raise DemoDataError(f"{self.where}: {message}")

    def has(self, name: str) -> bool:
        return name in self.data

    def value(self, name: str, default: Any = _REQUIRED) -> Any:
        self.taken.add(name)
        if name not in self.data:
            if default is _REQUIRED:
                self.fail(f"'{name}' is missing")
            return default
        return self.data[name]

    def text(self, name: str, default: Any = _REQUIRED, *, blank: bool = False) -> str:
        value = self.value(name, default)
        if value is default and name not in self.data:
            return value
        if not isinstance(value, str) or (not blank and not value.strip()):
            self.fail(f"'{name}' must be {'a' if blank else 'a non-empty'} text, found {value!r}")
        return value

    def optional_text(self, name: str) -> str | None:
        value = self.value(name, None)
        if value is not None and not isinstance(value, str):
            self.fail(f"'{name}' must be a text, found {value!r}")
        return value

    def texts(self, name: str, default: Any = _REQUIRED) -> list[str]:
        value = self.value(name, default)
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            self.fail(f"'{name}' must be a list of texts, found {value!r}")
        return list(value)

    def choice(self, name: str, choices, default: Any = _REQUIRED) -> Any:
        value = self.value(name, default)
        if value is default and name not in self.data:
            return value
        if value not in choices:
            self.fail(f"'{name}' is {value!r}, expected one of: {', '.join(map(str, choices))}")
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.value(name, default)
        if not isinstance(value, bool):
            self.fail(f"'{name}' must be true or false, found {value!r}")
        return value

    def integer(self, name: str, default: Any = _REQUIRED) -> int:
        value = self.value(name, default)
        if value is default and name not in self.data:
            return value
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(f"'{name}' must be a whole number, found {value!r}")
        return value

    def duration(self, name: str, default: Any = _REQUIRED, *, nullable: bool = False) -> timedelta | None:
        value = self.value(name, default)
        if value is default and name not in self.data:
            return value
        if value is None and nullable:
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(f"'{name}': {exc}")

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.taken, key=str)
        if unknown:
            self.fail(f"unknown field(s): {', '.join(map(str, unknown))}")


# --- the context steps share ----------------------------------------------------------------------------------------


def this_minute() -> datetime:
    # Whole minutes read better on the war room clocks than the seconds the command happened to start at.
    return timezone.now().replace(second=0, microsecond=0)


@dataclass
class DemoContext:
    """What one seeding run knows: users by username, the seeding minute, what earlier steps produced, the output."""

    users: dict[str, Any] = field(default_factory=dict)
    now: datetime = field(default_factory=this_minute)
    produced: dict[str, Any] = field(default_factory=dict)
    base_url: str = "http://127.0.0.1:8000"
    stdout: Any = None  # the command's output; None: lines are dropped
    style: Any = field(default_factory=no_style)

    def write(self, line: str = "", style: Callable[[str], str] | None = None) -> None:
        if self.stdout is not None:
            self.stdout.write(style(line) if style else line)

    def success(self, line: str) -> None:
        self.write(line, self.style.SUCCESS)

    def warning(self, line: str) -> None:
        self.write(line, self.style.WARNING)

    def heading(self, line: str) -> None:
        self.write(line, self.style.MIGRATE_HEADING)

    def table(self, rows: list[list[str]]) -> None:
        """Columns padded to their widest cell, the last one left ragged; the first row is the header."""
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for n, row in enumerate(rows):
            line = (
                "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1]
            )
            self.write(line, self.style.MIGRATE_LABEL if n == 0 else None)


# --- the registry ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    order: int
    name: str
    seed: Callable[[DemoContext], object]
    once: bool = False
    reset: Callable[[DemoContext], object] | None = None
    is_seeded: Callable[[], bool] | None = None


@dataclass(frozen=True)
class Summary:
    order: int
    name: str
    write: Callable[[DemoContext], object]


_STEPS: dict[str, Step] = {}
_SUMMARIES: dict[str, Summary] = {}


def _add(registry: dict, entry) -> None:
    # Registering a name again replaces it (ready() may run twice); two names may not share an order.
    clash = next((e for e in registry.values() if e.order == entry.order and e.name != entry.name), None)
    if clash is not None:
        raise ImproperlyConfigured(f"Demo step {entry.name!r}: order {entry.order} is already {clash.name!r}'s.")
    registry[entry.name] = entry


def register(
    order: int,
    name: str,
    seed: Callable[[DemoContext], object],
    *,
    once: bool = False,
    reset: Callable[[DemoContext], object] | None = None,
    is_seeded: Callable[[], bool] | None = None,
) -> None:
    """Add a seeding step (see the module docstring)."""
    _add(_STEPS, Step(order, name, seed, once, reset, is_seeded))


def register_summary(order: int, name: str, write: Callable[[DemoContext], object]) -> None:
    """Add a section to the summary printed after seeding."""
    _add(_SUMMARIES, Summary(order, name, write))


def steps() -> list[Step]:
    return sorted(_STEPS.values(), key=lambda step: step.order)


def run(context: DemoContext, selected: list[Step]) -> DemoContext:
    """Run the given steps in order, whatever their ``once``; for callers that want part of the demo."""
    for step in sorted(selected, key=lambda step: step.order):
        step.seed(context)
    return context


def seed(context: DemoContext, *, reset: bool = False) -> DemoContext:
    """What ``seed_demo`` does inside its transaction: reset if asked, then every step that applies."""
    ordered = steps()
    if reset:
        # The demo's timelines, revisions and audit events are append-only: the database refuses to delete
        # them except under this audited maintenance switch (crisisdesk.audit.purge).
        from crisisdesk.audit.purge import purge_permitted

        with purge_permitted(reason="seed_demo --reset: the demo data and its append-only history are deleted"):
            for step in reversed(ordered):
                if step.reset is not None:
                    step.reset(context)
    seeded = any(step.is_seeded() for step in ordered if step.is_seeded is not None)
    if seeded:
        context.warning(_("Demo data is already there: nothing added (use --reset to rebuild it)."))
    return run(context, [step for step in ordered if not (step.once and seeded)])


def summarise(context: DemoContext) -> None:
    for summary in sorted(_SUMMARIES.values(), key=lambda summary: summary.order):
        summary.write(context)
