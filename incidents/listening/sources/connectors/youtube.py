"""YouTube: comments and their replies on the organisation's channel (or chosen videos) and video search results.

Through the official client (google-api-python-client), built from the discovery document it
ships (``static_discovery``: no discovery request) and pointed at ``config.api_url``, with an API key:

- ``commentThreads.list(part=snippet,replies, allThreadsRelatedToChannelId=… | videoId=…,
  order=time, textFormat=plainText, maxResults=100, pageToken=…)`` — each thread's
  ``topLevelComment`` is a mention, and so is each reply: up to 5 come inline
  (``replies.comments``); when ``snippet.totalReplyCount`` is larger and differs from the count
  last read in full (kept in the cursor, ``threads``), ``comments.list(part=snippet,
  parentId=<thread>, textFormat=plainText, maxResults=100, pageToken=…)`` is paged, at most
  ``max_replies_per_thread`` replies of one thread a poll (a longer read resumes at its page token
  next poll; a token YouTube no longer takes starts the thread again; a 404 leaves the paged
  replies unread until the count moves). A thread whose count did not move costs nothing beyond
  its listing page;
- ``search.list(part=snippet, q=…, type=video, order=date, publishedAfter=…, maxResults=50,
  pageToken=…)`` — each video found is a mention (title — description), at most every
  ``search_interval_seconds``: a search costs 100 quota units of the default 10,000 a day;
- what was stored in the last ``recheck_hours`` (newest ``recheck_max``) and not seen again on
  this poll's pages is re-read by id, 50 a request (skipped, with a warning, on a 404):
  ``commentThreads.list(part=snippet,replies, id=…)`` (the top-level comment and the reply count,
  so new replies to older threads are read too), ``comments.list(id=…)`` (replies, and top-level
  comments stored before threads were kept), ``videos.list(part=snippet, id=…)``. A comment whose
  ``updatedAt`` moved is an edit version (also when seen again on a page); a video whose title or
  description differs from the digest kept in the cursor is an edit version, edited at the poll
  that saw it (the API gives a video no edit time); a search page showing a video with another
  text only sends it to ``videos.list`` (search snippets can lag behind the video). A comment,
  thread or video the answer no longer holds was deleted (or hidden, or made private) and is
  marked deleted.

Quota: each of these list requests costs 1 unit, a search 100. A poll costs one unit per listing
page, one per reply page of a thread whose count moved (at most ``max_replies_per_thread / 100``
rounded up per thread), and one per 50 recent ids re-read.

Answers list ``items`` newest first with a ``nextPageToken``; each listing is read back to a time
cursor (``walk``). The API key travels in the query string, so no message, log line or chained
exception here carries a URL's query (the client's own debug log of URLs is silenced). Errors:
``quotaExceeded`` (403) backs off until the quota resets (midnight Pacific time); 429 and
``rateLimitExceeded`` honour ``Retry-After``; 5xx and connection errors are transient; an invalid
or expired key (400 ``keyInvalid``, 401, 403) is an ``AuthError``. Reply pages are part of the
poll: any of these errors there fails the whole poll (nothing of it recorded, the cursor stays).

The client, its errors and the mapping of API resources to mention items are in ``youtube_api``;
this module walks the listings and keeps the cursor.
"""

from __future__ import annotations

import html
import logging
import time
from datetime import UTC, datetime
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents.listening.sources.connectors import walk
from incidents.listening.sources.connectors.base import (
    AuthError,
    Connector,
    PollResult,
    register,
)
from incidents.listening.sources.connectors.youtube_api import (
    PLATFORM,
    TEXT,
    WATCH_URL,
    YOUTUBE_ID,
    _text,
    by_id,
    comment_item,
    comment_place,
    missing,
    page_items,
    text_digest,
    thread_replies,
    top_comment,
    video_item,
    video_place,
    video_text,
    youtube_client,
    youtube_errors,
)
from incidents.listening.sources.models import SourceKind

logger = logging.getLogger(__name__)

# Its debug lines hold whole request URLs, with the key: never let them out, whatever the root level.
logging.getLogger("googleapiclient.discovery").setLevel(logging.INFO)

# --- the connector ---------------------------------------------------------------------------------


@register
class YouTubeConnector(Connector):
    kind = SourceKind.YOUTUBE
    platform = PLATFORM
    credential_fields = ("api_key",)
    default_config: ClassVar[dict] = {
        "api_url": "https://youtube.googleapis.com",
        "channel_id": "",
        "video_ids": [],
        "searches": [],
        "max_results": 100,
        "search_interval_seconds": 3600,
        "recheck_hours": 24,
        "recheck_max": 200,
        "max_replies_per_thread": 100,
    }

    def clean_config(self, config: dict) -> dict:
        config = super().clean_config(config)
        if not str(config["api_url"]).startswith(("http://", "https://")):
            raise ValidationError({"config": _("“%(key)s” must be an http(s) URL.") % {"key": "api_url"}})
        if not isinstance(config["channel_id"], str) or not (
            config["channel_id"].strip() == "" or YOUTUBE_ID.match(config["channel_id"].strip())
        ):
            raise ValidationError({"config": _("“channel_id” must be a channel id (UC…).")})
        for key in ("video_ids", "searches"):
            if not isinstance(config[key], list) or not all(isinstance(v, str) for v in config[key]):
                raise ValidationError({"config": _("“%(key)s” must be a list of strings.") % {"key": key}})
        if not all(YOUTUBE_ID.match(v.strip()) for v in config["video_ids"]):
            raise ValidationError({"config": _("“video_ids” holds video ids (the v= of a watch URL).")})
        for key, low, high in (
            ("max_results", 1, 100),
            ("search_interval_seconds", 0, 7 * 86400),
            ("recheck_hours", 0, 24 * 7),
            ("recheck_max", 0, 1000),
            ("max_replies_per_thread", 0, 1000),
        ):
            if type(config[key]) is not int or not low <= config[key] <= high:
                raise ValidationError(
                    {
                        "config": _("“%(key)s” must be a whole number from %(low)s to %(high)s.")
                        % {"key": key, "low": low, "high": high}
                    }
                )
        return config

    def streams(self, source, config) -> list[tuple[str, str, dict]]:
        """(cursor key, ``comments`` or ``search``, request parameters) per listing the source reads."""
        result = []
        if config["channel_id"].strip():
            result.append(
                (
                    f"channel:{config['channel_id'].strip()}",
                    "comments",
                    {"allThreadsRelatedToChannelId": config["channel_id"].strip()},
                )
            )
        result += [
            (f"video:{v.strip()}", "comments", {"videoId": v.strip()})
            for v in sorted(set(config["video_ids"]))
            if v.strip()
        ]
        searches = sorted({q.strip() for q in config["searches"] if q.strip()})
        if not result and not searches and source.pk:
            searches = sorted(set(source.watch_terms.filter(active=True).values_list("term", flat=True)))
        result += [(f"search:{q}", "search", {"q": q}) for q in searches]
        return result

    def poll(self, source, cursor: dict) -> PollResult:
        config = self.clean_config(source.config)
        api_key = source.credential("api_key")
        if not api_key:
            raise AuthError("YouTube needs the api_key credential")
        stored = cursor.get("streams") or {}
        # Only the listings configured now: a dropped search's state goes with it.
        states = {}
        recent = {name: {k: list(v) for k, v in (cursor.get(name) or {}).items()} for name in RECENT}
        items, deleted, more = [], [], False
        now = time.time()
        with youtube_errors():
            youtube = youtube_client(source, config, api_key)
            seen = set()
            for key, kind, params in self.streams(source, config):
                state = stored.get(key) or {}
                due = now - float(state.get("searched_at") or 0) >= config["search_interval_seconds"]
                if kind == "search" and "after" not in state and not due:
                    states[key] = state
                    continue
                new_state, found, walking, page_seen = self.read_page(youtube, kind, params, state, config, recent)
                seen |= page_seen
                if kind == "search":
                    new_state["searched_at"] = state.get("searched_at") if walking else now
                states[key] = new_state
                more = more or walking
                if kind == "comments":
                    remember(found, recent["comments"])
                else:
                    remember(found, recent["videos"], digest=True)
                items += found
            if not more:
                edited, gone = self.recheck(youtube, recent, config, skip=seen, now=now)
                items += edited
                deleted += gone
        for name in deleted:
            for known in recent.values():
                known.pop(name, None)
        kept = {name: self.prune(values, config) for name, values in recent.items()}
        return PollResult(items=items, deleted_ids=deleted, new_cursor={"streams": states, **kept}, more=more)

    def read_page(self, youtube, kind, params, state, config, recent) -> tuple[dict, list, bool, set]:
        """One page of one listing: (its new state, its new items and edits, still walking back, ids seen)."""
        since = state.get("since")
        paging = {"pageToken": state["after"]} if state.get("after") else {}
        if kind == "comments":
            limit = config["max_results"]
            request = youtube.commentThreads().list(
                part="snippet,replies", order="time", textFormat="plainText", maxResults=limit, **params, **paging
            )
        else:
            limit = min(config["max_results"], 50)
            if since:
                # The same publishedAfter all through one walk (a pageToken is only valid with the same query),
                # one second early: whether it is inclusive is not documented (the walk drops repeats).
                after_time = datetime.fromtimestamp(float(since) - 1, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                params = {**params, "publishedAfter": after_time}
            request = youtube.search().list(
                part="snippet", type="video", order="date", maxResults=limit, **params, **paging
            )
        entries, after = page_items(request.execute())
        if kind == "comments":
            pairs = [(comment_item(c), comment_place(c)) for c in (top_comment(t) for t in entries)]
        else:
            pairs = [(video_item(r), video_place(r)) for r in entries]
        new_state, is_new, walking = walk.walk_step(
            {k: v for k, v in state.items() if k != "searched_at"},
            [place for _, place in pairs if place],
            after=after,
            full=len(entries) >= limit,
        )
        found = []
        seen = {place[0] for _, place in pairs if place}
        for item, place in pairs:
            if place is None or is_new(*place):
                # A malformed entry goes on to the ingest, which rejects it and counts it on the source.
                found.append(item)
            elif kind == "comments":
                # A stored comment seen again behind the cursor: its edit counts as on re-reading.
                revisit_comment(item, recent["comments"], found)
            elif differs(item, recent["videos"]):
                # Search snippets may lag behind the video: its own resource (videos.list) tells the edit.
                seen.discard(place[0])
        if kind == "comments":
            for thread in entries:
                seen |= self.read_replies(youtube, thread, recent, config, found)
        return new_state, found, walking, seen

    def read_replies(self, youtube, thread, recent: dict, config, out: list) -> set:
        """A thread's replies: the new ones and the edited known ones go to ``out``; returns the reply ids seen.

        The ≤5 inline replies come free with the thread. ``comments.list(parentId=…)`` is read only
        when the thread holds more replies and its ``totalReplyCount`` differs from the count read
        completely last time (``recent["threads"]``: ``[created, count, resume token, count when the
        read began]``), at most ``max_replies_per_thread`` replies a poll: a longer read resumes at
        its page token on the next poll.
        """
        thread_id, total, inline = thread_replies(thread)
        top = comment_place(top_comment(thread))
        cap = config["max_replies_per_thread"]
        if not thread_id or top is None or cap == 0:
            return set()
        video = _text(thread["snippet"].get("videoId")) if isinstance(thread.get("snippet"), dict) else ""
        _created, count, token, began = ((recent["threads"].get(thread_id) or []) + [None] * 4)[:4]
        replies = list(inline)
        if total <= len(inline):
            count, token, began = total, None, None
        elif token or total != count:
            began = began if token else total
            paged, token = self.page_replies(youtube, thread_id, token, cap)
            replies += paged
            if token is None:
                count, began = began, None
        recent["threads"][thread_id] = [top[1], count, token, began]
        seen = set()
        for reply in (r if isinstance(r, dict) else {} for r in replies):
            item, place = comment_item(reply, video=video), comment_place(reply)
            if place is None:
                out.append(item)
            elif place[0] not in seen:
                seen.add(place[0])
                if place[0] in recent["comments"]:
                    revisit_comment(item, recent["comments"], out)
                else:
                    out.append(item)
                    remember([item], recent["comments"])
        return seen

    def page_replies(self, youtube, thread_id: str, token: str | None, cap: int) -> tuple[list, str | None]:
        """Up to ``cap`` replies of a thread from ``token`` on (1 quota unit a page): (replies, where to resume)."""
        from googleapiclient.errors import HttpError

        taken: list = []
        resumed = bool(token)
        while len(taken) < cap:
            paging = {"pageToken": token} if token else {}
            request = youtube.comments().list(
                part="snippet",
                parentId=thread_id,
                textFormat="plainText",
                maxResults=min(100, cap - len(taken)),
                **paging,
            )
            try:
                body = request.execute()
            except HttpError as exc:
                status = int(getattr(exc.resp, "status", 0) or 0)
                if status == 404:
                    # The thread is gone meanwhile (commentNotFound), or a stand-in without comments.list.
                    logger.warning("YouTube replies of thread %s answered 404: not read", thread_id)
                    return taken, None
                if not resumed or status != 400:
                    raise
                # A resume token kept from an earlier poll that YouTube no longer takes: read from the start.
                logger.warning("YouTube refused a stored reply page token of thread %s: reading it again", thread_id)
                token = resumed = None
                continue
            resumed = False
            entries, token = page_items(body)
            taken += entries
            if token is None or not entries:
                return taken, None
        return taken, token

    def recheck(self, youtube, recent: dict, config, *, skip=frozenset(), now: float) -> tuple[list, list]:
        """Re-read recent threads, comments and videos not seen in this poll.

        Edits become new versions, the missing are deleted, a thread's new replies are read.
        Threads come back with their top-level comment, so it is not asked for again by id.
        """
        edited, gone = [], []
        skip = set(skip)
        threads = sorted(set(self.prune(recent["threads"], config)) - skip)
        thread_request = youtube.commentThreads().list
        for batch, entries in by_id(
            threads, lambda ids: thread_request(part="snippet,replies", id=ids, textFormat=TEXT)
        ):
            for thread in entries:
                revisit_comment(comment_item(top_comment(thread)), recent["comments"], edited)
                skip |= self.read_replies(youtube, thread, recent, config, edited)
            # A thread's id is its top-level comment's: a thread gone is that comment deleted.
            gone += missing(batch, entries)
            skip |= set(batch)
        comments = sorted(set(self.prune(recent["comments"], config)) - skip)
        comment_request = youtube.comments().list
        for batch, entries in by_id(comments, lambda ids: comment_request(part="snippet", id=ids, textFormat=TEXT)):
            for comment in entries:
                revisit_comment(comment_item(comment), recent["comments"], edited)
            gone += missing(batch, entries)
        videos = sorted(set(self.prune(recent["videos"], config)) - skip)
        video_request = youtube.videos().list
        for batch, entries in by_id(videos, lambda ids: video_request(part="snippet", id=ids)):
            for resource in entries:
                if resource.get("id") in recent["videos"]:
                    revisit_video(resource, recent["videos"], edited, now=now)
            gone += missing(batch, entries)
        return edited, gone

    def prune(self, recent: dict, config) -> dict:
        return walk.prune_recent(recent, hours=config["recheck_hours"], keep=config["recheck_max"])


# What the cursor keeps of recent items (id → list, its creation time first), to re-read them:
# comments (top-level and replies) ``[created, edited]``, videos ``[created, edited, text digest]``,
# threads ``[created, reply count read, resume token, reply count when that read began]``.
RECENT = ("comments", "videos", "threads")


def remember(found: list, recent: dict, *, digest: bool = False) -> None:
    """Newly found items enter the recent ones (with ``digest``, with the digest of their text: videos)."""
    for item in found:
        if item["posted_at"] and item["external_id"] and item["external_id"] not in recent:
            recent[item["external_id"]] = [walk.from_iso(item["posted_at"]), walk.from_iso(item.get("edited_at"))]
            if digest:
                recent[item["external_id"]].append(text_digest(item["text"]))


def differs(item: dict, recent: dict) -> bool:
    """Whether a stored video's text is not the one last stored (False when unknown)."""
    known = recent.get(item["external_id"])
    return bool(known and len(known) > 2 and known[2] and known[2] != text_digest(item["text"]))


def revisit_video(resource: dict, recent: dict, out: list, *, now: float) -> None:
    """A stored video re-read (``videos.list``): a new title or description is an edit version, edited now.

    YouTube gives a video no edit time; the time the change was first seen stands in for it, so an
    older copy delivered later (a lagging search page) does not win over it.
    """
    known = recent[resource["id"]]
    snippet = resource.get("snippet") if isinstance(resource.get("snippet"), dict) else {}
    text = video_text(snippet)
    digest = text_digest(text)
    if len(known) < 3 or not known[2]:
        # A cursor from before digests were kept: this copy is the reference from now on.
        recent[resource["id"]] = [known[0], known[1] if len(known) > 1 else None, digest]
        return
    if digest == known[2]:
        return
    edited_at = max(now, float(known[0] or 0) + 1)
    out.append(
        {
            "platform": PLATFORM,
            "external_id": resource["id"],
            "url": f"{WATCH_URL}?v={resource['id']}",
            "author": html.unescape(_text(snippet.get("channelTitle")))[:200],
            "audience": 0,
            "text": text,
            "posted_at": walk.to_iso(float(known[0])),
            "edited_at": walk.to_iso(edited_at),
        }
    )
    recent[resource["id"]] = [known[0], edited_at, digest]


def revisit_comment(item: dict, recent: dict, out: list) -> None:
    """A stored comment read again: when edited since last seen, its new version goes to ``out``."""
    if item["external_id"] not in recent:
        return
    stamp = walk.from_iso(item["edited_at"])
    if stamp > (recent[item["external_id"]][1] or 0.0):
        out.append(item)
        recent[item["external_id"]][1] = stamp
