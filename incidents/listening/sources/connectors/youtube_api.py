"""The YouTube Data API v3 as the YouTube connector reads it: the client, its errors, and its resources as mention items.

``youtube_client`` builds the official client (google-api-python-client) from the discovery
document it ships, pointed at the source's ``api_url`` and behind the source's rate limit;
``youtube_errors`` turns the client's exceptions into the connectors' typed errors without ever
carrying a URL's query (it holds the API key). The mapping functions read the documented shapes
(``commentThreads``, ``comments``, ``search``, ``videos``) defensively: a malformed resource
keeps what it has, so the ingest rejects it visibly. ``by_id`` re-reads stored ids 50 a request.
The connector that walks the listings with them is ``connectors.youtube``.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings

from incidents.listening.sources.connectors import walk
from incidents.listening.sources.connectors.base import (
    AuthError,
    BadPayload,
    RateLimited,
    TransientError,
    _where,
    parse_retry_after,
    rate_limiter,
    status_error,
)

logger = logging.getLogger("incidents.listening.sources.connectors.youtube")

PLATFORM = "youtube"
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
        "platform": PLATFORM,
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
        "platform": PLATFORM,
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
