"""Read how the demo fills in its post-crisis reviews, from ``postmortems/demo/en/reviews.yaml``.

The file is English: the demo's reviews are written in English whatever the crisis's language.
It holds ``sections`` (the review's fields and their values), ``states`` (the state each
successive review is left in, oldest crisis first; the others stay drafts), ``approvers`` (demo
usernames, the first who may and did not write the review approves it) and ``action_items``
(added to every review: ``title``; ``owner``, a demo username or ``author``; ``due_in_days``
from the seeding day, negative when overdue; optional ``priority``,
``one_day_earlier_each_review`` and ``in_progress_on_first_review``). Errors name the file and
the record (``crisisdesk.demo.DemoDataError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crisisdesk.demo import Record, read_yaml, relative
from crisisdesk.review.models import ReviewStatus
from incidents.demo.users import DEMO_USERNAMES
from postmortems.services import EDITABLE_FIELDS

REVIEWS_FILE = Path(__file__).resolve().parent / "en" / "reviews.yaml"
AUTHOR = "author"


@dataclass(frozen=True)
class DemoActionItem:
    title: str
    owner: str  # a demo username, or AUTHOR
    due_in_days: int
    priority: int | None = None
    one_day_earlier_each_review: bool = False
    in_progress_on_first_review: bool = False


@dataclass(frozen=True)
class DemoReviews:
    sections: dict
    states: tuple[str, ...]
    approvers: tuple[str, ...]
    action_items: tuple[DemoActionItem, ...]


def _action_item(r: Record) -> DemoActionItem:
    item = DemoActionItem(
        title=r.text("title"),
        owner=r.choice("owner", (*DEMO_USERNAMES, AUTHOR)),
        due_in_days=r.integer("due_in_days"),
        priority=r.integer("priority", None),
        one_day_earlier_each_review=r.boolean("one_day_earlier_each_review"),
        in_progress_on_first_review=r.boolean("in_progress_on_first_review"),
    )
    r.done()
    return item


def load_reviews(path: Path = REVIEWS_FILE) -> DemoReviews:
    where = relative(path)
    r = Record(read_yaml(path), where)
    sections = Record(r.value("sections"), f"{where}, sections")
    for name, value in sections.data.items():
        if name not in EDITABLE_FIELDS:
            sections.fail(f"{name!r} is not a review field; expected one of: {', '.join(EDITABLE_FIELDS)}")
        if not isinstance(value, str | int) or isinstance(value, bool):
            sections.fail(f"{name!r} must be a text or a number, found {value!r}")
    states = r.value("states")
    if not isinstance(states, list) or any(state not in ReviewStatus.values for state in states):
        r.fail(f"'states' must be a list of review states among: {', '.join(ReviewStatus.values)}")
    approvers = r.value("approvers")
    if not isinstance(approvers, list) or any(name not in DEMO_USERNAMES for name in approvers):
        r.fail(f"'approvers' must be a list of demo usernames among: {', '.join(DEMO_USERNAMES)}")
    items = r.value("action_items")
    if not isinstance(items, list):
        r.fail("'action_items' must be a list")
    reviews = DemoReviews(
        sections=dict(sections.data),
        states=tuple(ReviewStatus(state) for state in states),
        approvers=tuple(approvers),
        action_items=tuple(_action_item(Record(item, f"{where}, action item {n}")) for n, item in enumerate(items, 1)),
    )
    r.done()
    return reviews
