"""Newest-first listings read back to a time cursor, and the recent posts re-read for edits and deletions.

Reddit's listings and YouTube's comment threads answer newest first, page by an opaque
continuation (Reddit's ``after``, YouTube's ``pageToken``) and offer no "newer than" filter that
survives the anchor post being removed. So a poll reads the newest page and walks back page by
page until it meets the stored time. Cursor of one listing:

- at rest: ``since`` (Unix time of the newest item stored) and ``since_ids`` (the items at exactly
  that time, so a restart fetches none of them again);
- while walking: also ``after`` (the continuation to ask for next) and ``top``/``top_ids`` (the
  newest time of this walk, frozen: it becomes ``since`` when the walk meets the old one). A
  restart resumes the walk at the same page; items newer than ``top`` are the next walk's.

The first poll of a listing takes its newest page only.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime


def walk_step(
    state: dict | None, placed: list[tuple[str, float]], *, after: str | None, full: bool
) -> tuple[dict, Callable[[str, float], bool], bool]:
    """One page read: (the listing's next state, ``is_new(id, time)`` for the page's items, still walking).

    ``placed`` holds the page's items as ``(id, unix time)``; ``after`` is the page's continuation
    (None on the last page); ``full`` whether the page came back with as many items as asked.
    """
    state = dict(state or {})
    first = "since" not in state
    since = float(state.get("since") or 0)
    since_ids = set(state.get("since_ids") or ())

    def is_new(item_id: str, at: float) -> bool:
        return first or at > since or (at == since and item_id not in since_ids)

    top = float(state["top"]) if "top" in state else max([at for _, at in placed] + [since])
    top_ids = set(state.get("top_ids") or ()) | {item_id for item_id, at in placed if at == top}
    if top == since:
        top_ids |= since_ids
    if first or after is None or not full or any(at <= since for _, at in placed):
        return {"since": top, "since_ids": sorted(top_ids)}, is_new, False
    walking = {"since": since, "since_ids": sorted(since_ids), "after": after, "top": top, "top_ids": sorted(top_ids)}
    return walking, is_new, True


def prune_recent(recent: dict, *, hours: int, keep: int) -> dict:
    """Recent items (id → ``[created, edited]`` Unix times) still worth re-reading: the last ``hours``, newest ``keep``."""
    horizon = time.time() - int(hours) * 3600
    kept = sorted(
        ((item_id, value) for item_id, value in recent.items() if value and value[0] and value[0] >= horizon),
        key=lambda pair: -pair[1][0],
    )
    return dict(kept[: int(keep)])


def to_iso(timestamp: float) -> str:
    """A Unix time as the ISO 8601 (UTC) string mention items carry."""
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


def from_iso(value: str | None) -> float:
    """An item's ISO 8601 time back as a Unix time (0 for none)."""
    return datetime.fromisoformat(value).timestamp() if value else 0.0
