"""Bluesky post search (``app.bsky.feed.searchPosts``), polled with a handle and an app password.

Protocol (https://docs.bsky.app/docs/api/app-bsky-feed-search-posts), over XRPC on the account's
PDS (``base_url``, default ``https://bsky.social``, which proxies to the AppView):

- ``POST /xrpc/com.atproto.server.createSession`` ``{"identifier", "password"}`` →
  ``{"accessJwt", "refreshJwt", "did", "handle"}``; a wrong password is ``401
  AuthenticationRequired`` (→ ``AuthError``);
- ``GET /xrpc/app.bsky.feed.searchPosts?q=…&sort=latest&limit=100&since=…&until=…&cursor=…`` with
  ``Authorization: Bearer <accessJwt>`` → ``{"posts": [postView], "cursor"?}``; an expired access
  token answers ``400``/``401`` with ``{"error": "ExpiredToken"}``: the connector calls
  ``POST /xrpc/com.atproto.server.refreshSession`` (``Bearer <refreshJwt>``) once, logs in again
  if that is refused too, and repeats the request.

Tokens live in this process's memory only (never in the cursor, the database or a log): a new
worker process logs in once.

Cursor, per query: ``since`` — the newest post time stored (a post's ``sortAt``: the earlier of
``indexedAt`` and ``record.createdAt``, as the AppView sorts) — and ``uris``, the posts at exactly
that instant: the next window asks ``since`` inclusively and skips those, so nothing is lost and
nothing is fetched twice. While a window is paged, it holds its frozen upper bound ``until``
(exclusive), the page ``cursor`` and the newest time and URIs seen so far (``top``/``top_uris``):
pages of a window bounded above do not shift when posts arrive, so a restart resumes at the same
page. The first window reaches back ``lookback_hours``.

Mapping as the Jetstream connector's (``bluesky``): external id ``at://<did>/app.bsky.feed.post/
<rkey>``, URL ``https://bsky.app/profile/<did>/post/<rkey>``, author the DID — a post seen by
both connectors is one mention. Search reports no deletions (Jetstream does).

Plain HTTP through the connectors' ``Http`` helper rather than the ``atproto`` SDK: its
``Client(base_url=…)`` can target a fake, but it brings its own HTTP client (httpx), its own
session refresh and error types, so the source's rate limit, ``Retry-After`` back-off and typed
errors would have to be rebuilt around it; three XRPC calls are simpler here.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents.listening.sources.connectors.base import (
    AuthError,
    BadPayload,
    Connector,
    PollResult,
    register,
    source_http,
)
from incidents.listening.sources.connectors.bluesky import POST_COLLECTION, external_id, post_url, source_terms
from incidents.listening.sources.models import SourceKind

SEARCH = "app.bsky.feed.searchPosts"
CREATE_SESSION = "com.atproto.server.createSession"
REFRESH_SESSION = "com.atproto.server.refreshSession"
_EXPIRED = ("ExpiredToken", "InvalidToken")


class _Sessions:
    """Access and refresh tokens per source, in this process's memory only (keyed by the credentials)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_source: dict[int, tuple[str, dict]] = {}

    def get(self, source_id: int, key: str) -> dict | None:
        with self._lock:
            stored = self._by_source.get(source_id)
        return stored[1] if stored and stored[0] == key else None

    def set(self, source_id: int, key: str, session: dict | None) -> None:
        with self._lock:
            if session is None:
                self._by_source.pop(source_id, None)
            else:
                self._by_source[source_id] = (key, session)

    def clear(self) -> None:
        with self._lock:
            self._by_source.clear()


sessions = _Sessions()


def parse_time(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def stamp(dt: datetime) -> str:
    """The ISO 8601 form sent as ``since``/``until`` and stored in the cursor (UTC, milliseconds, ``Z``)."""
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sort_at(post: dict) -> datetime | None:
    """The AppView's sort time of a post view: the earlier of ``indexedAt`` and ``record.createdAt``."""
    record = post.get("record") if isinstance(post.get("record"), dict) else {}
    times = [t for t in (parse_time(post.get("indexedAt")), parse_time(record.get("createdAt"))) if t]
    return min(times) if times else None


def source_queries(source) -> list[str]:
    """The configured queries, or the source's watch terms (every active one when it names none, as Jetstream)."""
    queries = [q for q in (source.config or {}).get("queries", []) if isinstance(q, str) and q.strip()]
    if not queries and source.pk:
        queries = source_terms(source)
    return sorted({q.strip() for q in queries if q.strip()})


def _xrpc_error(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error") or "") if isinstance(body, dict) else ""


@register
class BlueskySearchConnector(Connector):
    kind = SourceKind.BLUESKY_SEARCH
    platform = "bluesky"
    credential_fields = ("identifier", "app_password")
    default_config = {"base_url": "https://bsky.social", "queries": [], "limit": 100, "lookback_hours": 24}

    def clean_config(self, config: dict) -> dict:
        config = super().clean_config(config)
        if not str(config["base_url"]).startswith(("http://", "https://")):
            raise ValidationError({"config": _("“base_url” must be an http(s) URL.")})
        if not isinstance(config["queries"], list) or not all(isinstance(q, str) for q in config["queries"]):
            raise ValidationError({"config": _("“queries” must be a list of strings.")})
        for key, low, high in (("limit", 1, 100), ("lookback_hours", 1, 24 * 30)):
            value = config[key]
            if type(value) is not int or not low <= value <= high:
                message = _("“%(key)s” must be a whole number from %(low)s to %(high)s.")
                raise ValidationError({"config": message % {"key": key, "low": low, "high": high}})
        return config

    # --- session ---------------------------------------------------------------------------

    def _login(self, http, base: str, identifier: str, password: str) -> dict:
        response = http.request(
            "POST",
            f"{base}/xrpc/{CREATE_SESSION}",
            json={"identifier": identifier, "password": password},
            expected=(200, 400, 401),
        )
        if response.status_code != 200:
            code = _xrpc_error(response) or f"HTTP {response.status_code}"
            raise AuthError(f"Bluesky refused the handle and app password ({code})")
        return self._session_from(response)

    def _refresh(self, http, base: str, session: dict) -> dict | None:
        response = http.request(
            "POST",
            f"{base}/xrpc/{REFRESH_SESSION}",
            headers={"Authorization": f"Bearer {session['refreshJwt']}"},
            expected=(200, 400, 401),
        )
        return self._session_from(response) if response.status_code == 200 else None

    @staticmethod
    def _session_from(response) -> dict:
        try:
            body = response.json()
        except ValueError as exc:
            raise BadPayload("Bluesky session answer is not JSON") from exc
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("accessJwt", "refreshJwt")):
            raise BadPayload("Bluesky session answer without accessJwt/refreshJwt")
        return {"accessJwt": body["accessJwt"], "refreshJwt": body["refreshJwt"]}

    def _search(self, http, source, base: str, params: dict) -> dict:
        """One searchPosts call with a valid session: log in, refresh or log in again as the server asks."""
        identifier = source.credential("identifier")
        password = source.credential("app_password")
        if not identifier or not password:
            raise AuthError("Bluesky post search needs the “identifier” (handle) and “app_password” credentials")
        key = f"{identifier}\0{password}"
        session = sessions.get(source.pk or 0, key)
        refreshed = False
        for _attempt in range(3):
            if session is None:
                session = self._login(http, base, identifier, password)
                sessions.set(source.pk or 0, key, session)
                refreshed = True  # a fresh login: a refusal now is not an expiry
            response = http.request(
                "GET",
                f"{base}/xrpc/{SEARCH}",
                params=params,
                headers={"Authorization": f"Bearer {session['accessJwt']}"},
                expected=(200, 400, 401),
            )
            if response.status_code == 200:
                try:
                    return response.json()
                except ValueError as exc:
                    raise BadPayload("Bluesky search answer is not JSON") from exc
            error = _xrpc_error(response)
            if response.status_code == 400 and error not in _EXPIRED:
                raise BadPayload(f"Bluesky search refused the request ({error or 'HTTP 400'})")
            if refreshed:
                sessions.set(source.pk or 0, key, None)
                raise AuthError(f"Bluesky refused the session ({error or response.status_code})")
            # Expired (or revoked) access token: refresh once; if that is refused too, log in again.
            session = self._refresh(http, base, session)
            sessions.set(source.pk or 0, key, session)
            refreshed = session is not None
            if session is None:
                continue
        raise AuthError("Bluesky refused the session")

    # --- polling ---------------------------------------------------------------------------

    def poll(self, source, cursor: dict) -> PollResult:
        config = self.clean_config(source.config)
        http = source_http(source)
        base = config["base_url"].rstrip("/")
        per_query = dict(cursor.get("queries") or {})
        now = datetime.fromtimestamp(time.time(), tz=UTC)
        items, more = [], False
        for query in source_queries(source):
            state = dict(per_query.get(query) or {})
            since = state.get("since") or stamp(now - timedelta(hours=config["lookback_hours"]))
            seen = set(state.get("uris") or [])
            until = state.get("until") or stamp(now)
            top, top_uris = state.get("top") or since, list(state.get("top_uris") or state.get("uris") or [])
            params = {"q": query, "sort": "latest", "limit": config["limit"], "since": since, "until": until}
            if state.get("cursor"):
                params["cursor"] = state["cursor"]
            body = self._search(http, source, base, params)
            posts, next_cursor = _page(body)
            top_at = parse_time(top)
            for post in posts:
                item = self.to_item(post)
                if item is None or post["uri"] in seen:
                    continue
                items.append(item)
                at = sort_at(post)
                if at is not None and (top_at is None or at > top_at):
                    top_at, top_uris = at, [post["uri"]]
                elif at is not None and at == top_at and post["uri"] not in top_uris:
                    top_uris.append(post["uri"])
            top = stamp(top_at) if top_at else top
            if posts and next_cursor:
                state = {"since": since, "uris": sorted(seen), "until": until, "cursor": next_cursor}
                state.update(top=top, top_uris=sorted(top_uris))
                more = True
            else:
                # The window is done: the next one starts at the newest post stored, skipping its URIs.
                state = {"since": top, "uris": sorted(top_uris)}
            per_query[query] = state
        return PollResult(items=items, new_cursor={"queries": per_query}, more=more)

    def to_item(self, post) -> dict | None:
        """A ``postView`` as a mention dict (None when it is not a post record we can address)."""
        if not isinstance(post, dict) or not isinstance(post.get("uri"), str):
            return None
        parts = post["uri"].removeprefix("at://").split("/")
        record = post.get("record")
        if len(parts) != 3 or parts[1] != POST_COLLECTION or not isinstance(record, dict):
            return None
        did, rkey = parts[0], parts[2]
        text = record.get("text")
        posted = sort_at(post)
        if not did or not rkey or not isinstance(text, str) or posted is None:
            return None
        item = {
            "platform": self.platform,
            "external_id": external_id(did, rkey),
            "url": post_url(did, rkey),
            "author": did,
            "text": text[:20000],
            "posted_at": record.get("createdAt") if parse_time(record.get("createdAt")) else stamp(posted),
        }
        langs = record.get("langs")
        if isinstance(langs, list) and langs and isinstance(langs[0], str):
            item["language"] = langs[0][:2].lower()
        return item


def _page(body) -> tuple[list, str | None]:
    if not isinstance(body, dict) or not isinstance(body.get("posts"), list):
        raise BadPayload("Bluesky search answer without a “posts” list")
    cursor = body.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise BadPayload("Bluesky search answer with an invalid “cursor”")
    return body["posts"], cursor or None
