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
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents.listening.sources.connectors import walk
from incidents.listening.sources.connectors.base import (
    AuthError,
    BadPayload,
    Connector,
    PollResult,
    RateLimited,
    TransientError,
    _where,
    parse_retry_after,
    rate_limiter,
    register,
    status_error,
)
from incidents.listening.sources.models import SourceKind

logger = logging.getLogger(__name__)

# Its debug lines hold whole request URLs, with the key: never let them out, whatever the root level.
logging.getLogger("googleapiclient.discovery").setLevel(logging.INFO)

WATCH_URL = "https://www.youtube.com/watch"
ID_BATCH = 50
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{2,64}$")  # ids per comments.list / videos.list request
AUTH_REASONS = {"keyInvalid", "keyExpired", "forbidden", "accessNotConfigured", "ipRefererBlocked", "authError"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}


def seconds_until_quota_reset(now: datetime | None = None) -> float:
    """Seconds until the next midnight Pacific time, when YouTube's daily quota resets."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        pacific = ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:
        return 3600.0
    now = (now or datetime.now(tz=pacific)).astimezone(pacific)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=pacific)
    return max(60.0, (midnight - now).total_seconds())


def _http_error(exc) -> Exception:
    status = int(getattr(exc.resp, "status", 0) or 0)
    details = exc.error_details if isinstance(exc.error_details, list) else []
    reasons = {d.get("reason") for d in details if isinstance(d, dict) and isinstance(d.get("reason"), str)}
    said = f" ({sorted(reasons)[0][:60]})" if reasons else ""
    where = _where(exc.uri or "") if exc.uri else "YouTube"
    retry_after = parse_retry_after(exc.resp.get("retry-after"))
    if reasons & QUOTA_REASONS:
        return RateLimited(
            f"YouTube quota exceeded{said}: waiting for the daily reset", retry_after=seconds_until_quota_reset()
        )
    if reasons & RATE_REASONS:
        return RateLimited(f"HTTP {status} from {where}{said}", retry_after=retry_after)
    if reasons & AUTH_REASONS:
        # An invalid key is a 400 (keyInvalid): still the credentials' fault.
        return AuthError(f"HTTP {status} from {where}{said}: API key refused or expired")
    return status_error(status, where, retry_after=retry_after, detail=said)


@contextmanager
def youtube_errors():
    """The client's exceptions as the connectors' typed errors, without the URL's query (it holds the key)."""
    import httplib2
    from googleapiclient.errors import Error, HttpError

    try:
        yield
    except HttpError as exc:
        raise _http_error(exc) from None
    except json.JSONDecodeError:
        raise BadPayload("YouTube answer is not JSON") from None
    except (httplib2.HttpLib2Error, OSError) as exc:
        raise TransientError(f"Cannot reach YouTube: {type(exc).__name__}") from None
    except Error as exc:
        raise BadPayload(f"YouTube client: {type(exc).__name__}") from None


def youtube_client(source, config: dict, api_key: str):
    """The official client for this source: shipped discovery document, the configured endpoint, its rate limit."""
    import httplib2
    from googleapiclient.discovery import build

    per_minute = getattr(source, "max_requests_per_minute", 60) or 60

    class SourceHttp(httplib2.Http):
        # Every request waits for the source's rate limit first.
        def request(self, *args, **kwargs):
            rate_limiter.wait(source.pk or 0, per_minute)
            return super().request(*args, **kwargs)

    return build(
        "youtube",
        "v3",
        developerKey=api_key,
        http=SourceHttp(timeout=getattr(settings, "SOURCE_HTTP_TIMEOUT_SECONDS", 15)),
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": config["api_url"].rstrip("/") + "/"},
    )


# --- mapping ---------------------------------------------------------------------------------------


def _time(value) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.timestamp() if parsed.tzinfo else None


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def page_items(body) -> tuple[list, str | None]:
    """The ``items`` of a documented list answer and its ``nextPageToken``; raises ``BadPayload`` otherwise."""
    if isinstance(body, str | bytes):
        # The client hands a body it cannot parse back as it came.
        raise BadPayload("YouTube answer is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise BadPayload("YouTube answer without an “items” list")
    token = body.get("nextPageToken")
    return body["items"], token if isinstance(token, str) and token else None


def top_comment(thread) -> dict:
    """A thread's top-level comment (``{}`` when the thread is malformed)."""
    snippet = thread.get("snippet") if isinstance(thread, dict) else None
    comment = snippet.get("topLevelComment") if isinstance(snippet, dict) else None
    return comment if isinstance(comment, dict) else {}


def comment_place(comment: dict) -> tuple[str, float] | None:
    snippet = comment.get("snippet") if isinstance(comment.get("snippet"), dict) else {}
    published = _time(snippet.get("publishedAt"))
    if not isinstance(comment.get("id"), str) or not comment["id"] or published is None:
        return None
    return comment["id"], published


def comment_item(comment: dict, *, video: str = "") -> dict:
    """A comment (or reply) as a mention item; a malformed one keeps what it has, so the ingest rejects it visibly.

    ``video`` is the thread's video, for a reply whose snippet does not name it.
    """
    snippet = comment.get("snippet") if isinstance(comment.get("snippet"), dict) else {}
    place = comment_place(comment)
    comment_id = _text(comment.get("id"))[:200]
    video = _text(snippet.get("videoId")) or video
    updated = _time(snippet.get("updatedAt"))
    return {
        "platform": YouTubeConnector.platform,
        "external_id": comment_id,
        "url": f"{WATCH_URL}?v={video}&lc={comment_id}" if video and comment_id else "",
        "author": _text(snippet.get("authorDisplayName"))[:200],
        "audience": 0,
        "text": (_text(snippet.get("textOriginal")) or html.unescape(_text(snippet.get("textDisplay"))))[:20000],
        "posted_at": walk.to_iso(place[1]) if place else None,
        "edited_at": walk.to_iso(updated) if place and updated and updated > place[1] else None,
    }


def video_place(result) -> tuple[str, float] | None:
    if not isinstance(result, dict) or not isinstance(result.get("id"), dict):
        return None
    video = result["id"].get("videoId")
    snippet = result.get("snippet") if isinstance(result.get("snippet"), dict) else {}
    published = _time(snippet.get("publishedAt"))
    if not isinstance(video, str) or not video or published is None:
        return None
    return video, published


def video_text(snippet: dict) -> str:
    """A video's mention text: title — description (the API escapes them as HTML)."""
    return " — ".join(
        part for part in (html.unescape(_text(snippet.get(key))).strip() for key in ("title", "description")) if part
    )[:20000]


def text_digest(text: str) -> str:
    """A short fingerprint of a mention's text, kept in the cursor to notice an edit without storing the text."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def video_item(result) -> dict:
    """A search result (a video) as a mention item."""
    snippet = result.get("snippet") if isinstance(result, dict) and isinstance(result.get("snippet"), dict) else {}
    place = video_place(result)
    video = place[0] if place else ""
    return {
        "platform": YouTubeConnector.platform,
        "external_id": video,
        "url": f"{WATCH_URL}?v={video}" if video else "",
        "author": html.unescape(_text(snippet.get("channelTitle")))[:200],
        "audience": 0,
        "text": video_text(snippet),
        "posted_at": walk.to_iso(place[1]) if place else None,
    }


def thread_replies(thread) -> tuple[str, int, list]:
    """A thread's id, its ``totalReplyCount`` and the replies that came inline (``("", 0, [])`` when malformed)."""
    if not isinstance(thread, dict) or not isinstance(thread.get("id"), str) or not thread["id"]:
        return "", 0, []
    snippet = thread.get("snippet") if isinstance(thread.get("snippet"), dict) else {}
    total = snippet.get("totalReplyCount")
    replies = thread.get("replies") if isinstance(thread.get("replies"), dict) else {}
    inline = replies.get("comments") if isinstance(replies.get("comments"), list) else []
    return thread["id"], total if type(total) is int and total >= 0 else 0, inline


# --- the connector ---------------------------------------------------------------------------------


@register
class YouTubeConnector(Connector):
    kind = SourceKind.YOUTUBE
    platform = "youtube"
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
            "platform": YouTubeConnector.platform,
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


TEXT = "plainText"


def by_id(ids: list, request_for):
    """Re-read ``ids`` 50 a request: ``(batch, its well-formed entries)``; stops where the endpoint is not offered."""
    for start in range(0, len(ids), ID_BATCH):
        batch = ids[start : start + ID_BATCH]
        body = optional(request_for(",".join(batch)))
        if body is None:
            return
        entries, _token = page_items(body)
        yield batch, [entry for entry in entries if isinstance(entry, dict)]


def missing(batch: list, entries: list) -> list:
    """The ids of a re-read batch its answer no longer holds (deleted, hidden or made private)."""
    present = {entry.get("id") for entry in entries}
    return [name for name in batch if name not in present]


def revisit_comment(item: dict, recent: dict, out: list) -> None:
    """A stored comment read again: when edited since last seen, its new version goes to ``out``."""
    if item["external_id"] not in recent:
        return
    stamp = walk.from_iso(item["edited_at"])
    if stamp > (recent[item["external_id"]][1] or 0.0):
        out.append(item)
        recent[item["external_id"]][1] = stamp


def optional(request):
    """Execute a re-reading request; None when the endpoint is not offered (404: a stand-in for YouTube)."""
    from googleapiclient.errors import HttpError

    try:
        return request.execute()
    except HttpError as exc:
        if int(getattr(exc.resp, "status", 0) or 0) != 404:
            raise
        logger.warning("YouTube re-reading answered 404 at %s: recent items not re-read", _where(exc.uri or ""))
        return None
