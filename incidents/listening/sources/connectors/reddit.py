"""Reddit: subreddit new-post listings and post searches, through praw with an app's OAuth credentials.

praw (app-only OAuth, the ``client_credentials`` grant) gets a token from
``{reddit_url}/api/v1/access_token`` with the ``client_id``/``client_secret`` credentials and
reads the documented ``Listing`` answers from ``{oauth_url}``:

- ``GET /r/{subreddit}/new?limit=100[&after=t3_…]`` for each configured subreddit;
- ``GET /search?q=…&sort=new&type=link&limit=100[&after=t3_…]`` for each search (default: the
  source's active watch terms, when no subreddit nor search is configured);
- ``GET /api/info?id=t3_a,t3_b,…`` to re-read the posts stored in the last ``recheck_hours``.

A listing is ``{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {…}}], "after"}}``,
newest first. Cursor, per listing (see ``walk``): ``since`` (the ``created_utc`` of the newest post stored) and
``since_ids`` (the fullnames at exactly that time, so a restart fetches none of them again). A poll
reads the newest page and walks back with ``after=<fullname>`` until it meets ``since``; while
walking, ``after``/``top`` keep the place (a restart resumes the walk at the same post). Anchoring on
a time rather than on Reddit's ``before=<fullname>`` keeps working when the newest post is removed
(``before`` a removed post answers an empty page for ever). The first poll takes the newest page only.

Edits and deletions: Reddit does not announce them, so the posts stored in the last
``recheck_hours`` (at most ``recheck_max``, kept in the cursor as ``recent``) are looked at again:
on the listing pages a poll reads anyway, and the others with ``/api/info`` once the listings are
caught up (skipped, with a warning, where a stand-in for Reddit answers 404). A post whose ``edited`` time moved is an edit
version; one removed or deleted (``removed_by_category`` set, or ``[deleted]``/``[removed]`` as
its text) is marked deleted, in a listing or on re-reading.

praw's own retries are off (each slept the worker for seconds): 429 (``Retry-After``), 5xx and
connection errors are the connectors' typed errors, so the source backs off visibly; so is a used-up
``x-ratelimit-remaining`` window (prawcore would sleep until its reset). A refused
token request (401, or an OAuth ``error`` answer) is an ``AuthError``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents.listening.sources.connectors import walk
from incidents.listening.sources.connectors.base import (
    USER_AGENT,
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
from incidents.listening.sources.connectors.walk import walk_step
from incidents.listening.sources.models import SourceKind

logger = logging.getLogger(__name__)

PUBLIC_URL = "https://www.reddit.com"
DELETED_MARKERS = ("[deleted]", "[removed]")
INFO_BATCH = 100
# prawcore paces requests by Reddit's x-ratelimit-* headers (at most 10 s apart while the window lasts).
MAX_PACING_SECONDS = 10
# A subreddit name (or several joined by "+", as Reddit allows), optionally written r/name.
SUBREDDIT = re.compile(r"^(?:/?r/)?[A-Za-z0-9_+]{2,200}/?$")


# --- praw, pointed at the configured URLs, rate-limited per source, without its own retries --------


class _SourceSession(requests.Session):
    """praw's HTTP session: every request waits for the source's rate limit first."""

    def __init__(self, source_pk: int):
        super().__init__()
        self.source_pk = source_pk
        self.per_minute = 60

    def request(self, *args, **kwargs):
        rate_limiter.wait(self.source_pk, self.per_minute)
        return super().request(*args, **kwargs)


@dataclass(frozen=True)
class _NoRetry:
    """A prawcore retry strategy that never retries nor sleeps: the source's back-off decides."""

    retries: int = 0

    def sleep(self) -> None:
        return None

    def consume_available_retry(self) -> _NoRetry:
        return self

    def should_retry_on_failure(self) -> bool:
        return False


def _no_long_sleep(limiter) -> None:
    """prawcore's rate limiter, but a used-up window is a ``RateLimited`` rather than minutes asleep in the worker."""
    wait = limiter.delay

    def delay() -> None:
        if limiter.next_request_timestamp_ns is not None:
            seconds = (limiter.next_request_timestamp_ns - time.monotonic_ns()) / 1e9
            if seconds > MAX_PACING_SECONDS:
                raise RateLimited("Reddit's rate-limit window is used up (x-ratelimit-remaining)", retry_after=seconds)
        wait()

    limiter.delay = delay


_clients: dict[tuple, tuple] = {}  # key → (praw.Reddit, its _SourceSession)
_clients_lock = threading.Lock()


def forget_clients() -> None:
    """Drop the cached praw clients (tests; a process that changed a source's URLs)."""
    with _clients_lock:
        _clients.clear()


def reddit_client(source, config: dict):
    """A praw ``Reddit`` for this source and credentials, kept per process (its token lasts a day)."""
    import praw

    client_id = source.credential("client_id")
    client_secret = source.credential("client_secret")
    if not client_id or not client_secret:
        raise AuthError("Reddit needs the client_id and client_secret credentials")
    # The key holds a digest of the secret, never the secret itself.
    fingerprint = hashlib.sha256(f"{client_id}\0{client_secret}".encode()).hexdigest()
    key = (source.pk, fingerprint, config["oauth_url"], config["reddit_url"], config["user_agent"])
    with _clients_lock:
        reddit, session = _clients.get(key) or (None, None)
        if reddit is None:
            for stale in [k for k in _clients if k[0] == source.pk]:
                del _clients[stale]
            session = _SourceSession(source.pk or 0)
            reddit = praw.Reddit(
                client_id=client_id,
                client_secret=client_secret,
                user_agent=config["user_agent"],
                oauth_url=config["oauth_url"].rstrip("/"),
                reddit_url=config["reddit_url"].rstrip("/"),
                check_for_updates=False,
                check_for_async=False,
                timeout=getattr(settings, "SOURCE_HTTP_TIMEOUT_SECONDS", 15),
                requestor_kwargs={"session": session},
            )
            # praw offers no setting for prawcore's retry strategy: set it on the sessions it built.
            for core in (reddit._read_only_core, reddit._authorized_core):
                if core is not None:
                    core._retry_strategy_class = _NoRetry
                    _no_long_sleep(core.rate_limiter)
            _clients[key] = (reddit, session)
    session.per_minute = getattr(source, "max_requests_per_minute", 60) or 60
    return reddit


def _status_error(exc) -> Exception:
    response = exc.response
    where = _where(response.url) if response.url else "Reddit"
    return status_error(response.status_code, where, retry_after=parse_retry_after(response.headers.get("Retry-After")))


@contextmanager
def reddit_errors():
    """praw's and prawcore's exceptions as the connectors' typed errors (messages carry no credential)."""
    import prawcore
    from praw.exceptions import PRAWException

    try:
        yield
    except prawcore.OAuthException as exc:
        raise AuthError(f"Reddit refused the app credentials: {str(exc.error)[:100]}") from exc
    except prawcore.BadJSON as exc:
        raise BadPayload("Reddit answer is not JSON") from exc
    except prawcore.ResponseException as exc:
        raise _status_error(exc) from exc
    except prawcore.RequestException as exc:
        raise TransientError(f"Cannot reach Reddit: {type(exc.original_exception).__name__}") from exc
    except (prawcore.PrawcoreException, PRAWException) as exc:
        raise BadPayload(f"Reddit: {type(exc).__name__}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        # prawcore reads the token answer without checking it (a missing "access_token", not JSON…).
        raise BadPayload(f"Malformed Reddit answer ({type(exc).__name__})") from exc


# --- mapping ---------------------------------------------------------------------------------------


def _number(value) -> float | None:
    return float(value) if type(value) in (int, float) else None


def listing_posts(body) -> tuple[list[dict], str | None]:
    """The ``t3`` data of a documented ``Listing`` and its ``after``; raises ``BadPayload`` otherwise."""
    if not isinstance(body, dict) or body.get("kind") != "Listing" or not isinstance(body.get("data"), dict):
        raise BadPayload("Reddit answer is not a Listing")
    children = body["data"].get("children")
    if not isinstance(children, list):
        raise BadPayload("Reddit Listing without children")
    after = body["data"].get("after")
    posts = [
        c["data"] for c in children if isinstance(c, dict) and c.get("kind") == "t3" and isinstance(c.get("data"), dict)
    ]
    return posts, after if isinstance(after, str) and after else None


def positioned(post: dict) -> tuple[str, float] | None:
    """The post's fullname and creation time, or None when it lacks them (it cannot be placed)."""
    name, created = post.get("name"), _number(post.get("created_utc"))
    if not isinstance(name, str) or not name.startswith("t3_") or created is None:
        return None
    return name, created


def is_deleted(post: dict) -> bool:
    return bool(post.get("removed_by_category")) or post.get("selftext") in DELETED_MARKERS


def to_item(post: dict) -> dict:
    """A ``t3`` as a mention item; a malformed one keeps what it has, so the ingest rejects it visibly."""
    place = positioned(post)
    title = post.get("title") if isinstance(post.get("title"), str) else ""
    body = post.get("selftext") if isinstance(post.get("selftext"), str) else ""
    permalink = post.get("permalink") if isinstance(post.get("permalink"), str) else ""
    edited = _number(post.get("edited"))
    subscribers = post.get("subreddit_subscribers")
    return {
        "platform": RedditConnector.platform,
        "external_id": place[0] if place else str(post.get("name") or "")[:200],
        "url": f"{PUBLIC_URL}{permalink}" if permalink.startswith("/") else "",
        "author": str(post.get("author") or "")[:200],
        "audience": subscribers if type(subscribers) is int and subscribers >= 0 else 0,
        "text": "\n\n".join(part for part in (title.strip(), body.strip()) if part)[:20000],
        "posted_at": walk.to_iso(place[1]) if place else None,
        "edited_at": walk.to_iso(edited) if edited else None,
    }


# --- the connector ---------------------------------------------------------------------------------


@register
class RedditConnector(Connector):
    kind = SourceKind.REDDIT
    platform = "reddit"
    credential_fields = ("client_id", "client_secret")
    default_config: ClassVar[dict] = {
        "oauth_url": "https://oauth.reddit.com",
        "reddit_url": PUBLIC_URL,
        "subreddits": [],
        "searches": [],
        "limit": 100,
        "recheck_hours": 24,
        "recheck_max": 300,
        "user_agent": USER_AGENT,
    }

    def clean_config(self, config: dict) -> dict:
        config = super().clean_config(config)
        for key in ("oauth_url", "reddit_url"):
            if not str(config[key]).startswith(("http://", "https://")):
                raise ValidationError({"config": _("“%(key)s” must be an http(s) URL.") % {"key": key}})
        for key in ("subreddits", "searches"):
            if not isinstance(config[key], list) or not all(isinstance(v, str) for v in config[key]):
                raise ValidationError({"config": _("“%(key)s” must be a list of strings.") % {"key": key}})
        if not all(SUBREDDIT.match(name.strip()) for name in config["subreddits"]):
            raise ValidationError({"config": _("“subreddits” holds names such as r/acme (letters, digits, _).")})
        for key, low, high in (("limit", 1, 100), ("recheck_hours", 0, 24 * 7), ("recheck_max", 0, 1000)):
            if type(config[key]) is not int or not low <= config[key] <= high:
                raise ValidationError(
                    {
                        "config": _("“%(key)s” must be a whole number from %(low)s to %(high)s.")
                        % {"key": key, "low": low, "high": high}
                    }
                )
        if not isinstance(config["user_agent"], str) or len(config["user_agent"].strip()) < 7:
            raise ValidationError({"config": _("“user_agent” must describe the application.")})
        return config

    def listings(self, source, config) -> list[tuple[str, str, dict]]:
        """(cursor key, path, params) per listing: each subreddit's new posts, each search."""
        subreddits = sorted({s.strip().removeprefix("r/").strip("/") for s in config["subreddits"] if s.strip("/ ")})
        searches = sorted({s.strip() for s in config["searches"] if s.strip()})
        if not subreddits and not searches and source.pk:
            searches = sorted(set(source.watch_terms.filter(active=True).values_list("term", flat=True)))
        result = [(f"r:{s.lower()}", f"/r/{s}/new", {}) for s in subreddits]
        result += [(f"search:{q}", "/search", {"q": q, "sort": "new", "type": "link"}) for q in searches]
        return result

    def poll(self, source, cursor: dict) -> PollResult:
        config = self.clean_config(source.config)
        stored = cursor.get("listings") or {}
        # Only the listings configured now: a dropped search's state goes with it.
        listings_state = {}
        recent = {k: list(v) for k, v in (cursor.get("recent") or {}).items()}
        items, deleted, more = [], [], False
        with reddit_errors():
            reddit = reddit_client(source, config)
            seen = set()
            for key, path, params in self.listings(source, config):
                state, page_items, page_deleted, walking, page_seen = self.poll_listing(
                    reddit, path, params, stored.get(key), config["limit"], recent
                )
                seen |= page_seen
                listings_state[key] = state
                items += page_items
                deleted += page_deleted
                more = more or walking
            for item in items:
                if item["posted_at"]:
                    recent[item["external_id"]] = [walk.from_iso(item["posted_at"]), walk.from_iso(item["edited_at"])]
            if not more:
                edited, gone = self.recheck(reddit, recent, config, skip=seen)
                items += edited
                deleted += gone
        for name in deleted:
            recent.pop(name, None)
        return PollResult(
            items=items,
            deleted_ids=deleted,
            new_cursor={"listings": listings_state, "recent": prune_recent(recent, config)},
            more=more,
        )

    def poll_listing(self, reddit, path, params, state, limit, recent) -> tuple[dict, list, list, bool, set]:
        """One page of one listing: (its new state, items, deleted fullnames, still walking back, fullnames seen)."""
        request = {**params, "limit": limit}
        if (state or {}).get("after"):
            request["after"] = state["after"]
        posts, after = listing_posts(reddit.request(method="GET", path=path, params=request))
        placed = [(post, positioned(post)) for post in posts]
        state, is_new, walking = walk_step(
            state, [place for _, place in placed if place], after=after, full=len(posts) >= limit
        )
        items, deleted = [], []
        for post, place in placed:
            if place is None:
                items.append(to_item(post))  # rejected by the ingest, counted on the source
            elif is_new(*place) and is_deleted(post):
                deleted.append(place[0])
            elif is_new(*place):
                items.append(to_item(post))
            else:
                # A stored post seen again behind the cursor: its removal or edit counts as on re-reading.
                self.revisit(post, place[0], recent, items, deleted)
        return state, items, deleted, walking, {place[0] for _, place in placed if place}

    def recheck(self, reddit, recent: dict, config, *, skip=frozenset()) -> tuple[list, list]:
        """Re-read the recent posts (``/api/info``): edited ones as new versions, removed ones as deletions."""
        names = sorted(set(prune_recent(recent, config)) - set(skip))
        edited, gone = [], []
        for start in range(0, len(names), INFO_BATCH):
            batch = names[start : start + INFO_BATCH]
            try:
                body = reddit.request(method="GET", path="/api/info", params={"id": ",".join(batch)})
            except prawcore_not_found() as exc:
                # Only a stand-in for Reddit (a mirror, a proxy) lacks it: listings still flow, edits wait.
                logger.warning("Reddit /api/info answered %s: recent posts not re-read", exc.response.status_code)
                break
            posts, _after = listing_posts(body)
            for post in posts:
                place = positioned(post)
                if place is not None:
                    self.revisit(post, place[0], recent, edited, gone)
        return edited, gone

    def revisit(self, post: dict, name: str, recent: dict, items: list, deleted: list) -> None:
        """A stored post read again: removed → ``deleted``; edited since last seen → a new version in ``items``."""
        if name not in recent:
            return
        if is_deleted(post):
            deleted.append(name)
            return
        edited_at = _number(post.get("edited")) or 0.0
        if edited_at > (recent[name][1] or 0.0):
            items.append(to_item(post))
            recent[name][1] = edited_at


def prawcore_not_found():
    import prawcore

    return prawcore.NotFound


def prune_recent(recent: dict, config) -> dict:
    return walk.prune_recent(recent, hours=config["recheck_hours"], keep=config["recheck_max"])
