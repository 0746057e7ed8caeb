"""Mastodon: hashtag timelines and status search of chosen instances, through Mastodon.py.

Mastodon.py (``Mastodon(api_base_url=instance_url, …)``) sends the documented requests:

- ``timeline_hashtag(tag, min_id=…, limit=40)`` → ``GET {instance}/api/v1/timelines/tag/{hashtag}``
  (public on most instances);
- ``search_v2(q, result_type="statuses", resolve=False, min_id=…, limit=40)`` →
  ``GET {instance}/api/v2/search?q=…&type=statuses`` (needs an ``access_token`` credential on most
  instances; sent as ``Authorization: Bearer``).

Both answer a list of statuses, newest first, and a ``Link`` header whose ``rel="prev"`` URL holds
the ``min_id`` of the next, newer page (Mastodon.py's pagination info, ``get_pagination_info(page,
"previous")``). Cursor, per timeline: ``min_id`` — the newest status id stored; a poll asks for the
statuses immediately after it (``min_id`` pages forward without gaps) and asks again while pages
come back full. The first poll takes the newest page only.

How Mastodon.py is held, so that the connector behaves as every other one:

- it sends through a ``requests`` session of ours (``_SourceSession``): the source's rate limit
  before each request, our ``User-Agent``, ``SOURCE_HTTP_TIMEOUT_SECONDS`` as ``request_timeout``;
- ``version_check_mode="none"`` and ``timeline_is_available`` / ``verify_minimum_version``
  answering yes: otherwise it fetches ``/api/v2/instance`` before a hashtag timeline and
  ``/api/v1/instance`` before a search with ``min_id`` — requests we did not ask for, against the
  source's budget (the endpoints used exist since Mastodon 2.8);
- ``ratelimit_method="throw"``: it never sleeps the worker; a 429 is ``RateLimited`` with
  ``Retry-After`` or else the ``X-RateLimit-Reset`` time Mastodon.py read (corrected by the
  answer's ``Date``). Its exceptions carry no response, so the statuses and headers are read from
  the session's last answer: 401/403 → ``AuthError``, 5xx/408 and network errors →
  ``TransientError``, other statuses and a body that is not JSON → ``BadPayload`` (``status_error``);
- the access token is set on the client after it is built: given to the constructor, a token that
  names an existing file would be read from that file;
- the statuses are taken from the JSON of the answer, not from Mastodon.py's typed entities, which
  coerce quietly (an unreadable date becomes ``None``, missing fields are filled in): the ingest
  judges what the instance sent, as for the stream's statuses (``mastodon_stream``).

Streaming: the ``mastodon_stream`` kind (``connectors/mastodon_stream.py``) keeps its own WebSocket
client; its docstring says why.
"""

from __future__ import annotations

import functools
import html
import re
import time
from contextlib import contextmanager
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents.listening.sources.connectors.base import (
    USER_AGENT,
    BadPayload,
    Connector,
    ConnectorError,
    PollResult,
    TransientError,
    _where,
    parse_retry_after,
    rate_limiter,
    register,
    status_error,
)
from incidents.listening.sources.models import SourceKind

_TAGS = re.compile(r"<[^>]+>")
_BREAKS = re.compile(r"</p>|<br\s*/?>", re.IGNORECASE)


def strip_html(value: str) -> str:
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n", value or ""))).strip()


def _id_key(value: str) -> tuple[int, str]:
    # Mastodon ids are numeric strings (snowflakes); compare them as numbers.
    return (int(value), value) if str(value).isdigit() else (0, str(value))


# --- Mastodon.py, on the source's session, making only the requests we ask for ----------------


class _SourceSession(requests.Session):
    """The session Mastodon.py sends through: the source's rate limit first; the last answer kept for its status and headers."""

    def __init__(self, source):
        super().__init__()
        self.source_pk = source.pk or 0
        self.per_minute = getattr(source, "max_requests_per_minute", 60) or 60
        self.headers["User-Agent"] = USER_AGENT
        self.last_url = ""
        self.last_response: requests.Response | None = None

    def request(self, method, url, *args, **kwargs):
        self.last_url, self.last_response = url, None
        rate_limiter.wait(self.source_pk, self.per_minute)
        response = super().request(method, url, *args, **kwargs)
        _drop_unreadable_reset(response)
        self.last_response = response
        return response


def _drop_unreadable_reset(response: requests.Response) -> None:
    """Drop an ``X-RateLimit-Reset`` Mastodon.py cannot read: it would refuse the whole answer (``MastodonRatelimitError``)."""
    import dateutil.parser

    reset = response.headers.get("X-RateLimit-Reset")
    if reset is None:
        return
    try:
        # As Mastodon.py reads it: epoch seconds (GoToSocial) or a date, with the answer's Date beside it.
        if not (reset.isdigit() and str(int(reset)) == reset):
            dateutil.parser.parse(reset)
        if "Date" in response.headers:
            dateutil.parser.parse(response.headers["Date"])
    except (ValueError, OverflowError, TypeError):
        del response.headers["X-RateLimit-Reset"]


@functools.cache
def _client_class():
    from mastodon import Mastodon  # imported on first use: Mastodon.py takes a third of a second to import

    class Client(Mastodon):
        """Mastodon.py without its look-ups of the instance (``/api/v2/instance``, ``/api/v1/instance``)."""

        def timeline_is_available(self, *args, **kwargs) -> bool:
            return True

        def verify_minimum_version(self, version_str: str, cached: bool = False) -> bool:
            return True

    return Client


def mastodon_client(source, config: dict, token: str | None):
    """A Mastodon.py client for the source's instance and its session (``session.last_response``: the last answer)."""
    session = _SourceSession(source)
    client = _client_class()(
        api_base_url=str(config["instance_url"]).rstrip("/"),
        version_check_mode="none",
        ratelimit_method="throw",
        request_timeout=getattr(settings, "SOURCE_HTTP_TIMEOUT_SECONDS", 15),
        session=session,
        user_agent=USER_AGENT,
        debug_requests=False,  # its debug prints every request's headers, the token with them
    )
    # After construction: Mastodon.py reads a constructor token that names an existing file from the file.
    client.access_token = token or None
    return client, session


@contextmanager
def mastodon_errors(client, session: _SourceSession):
    """Mastodon.py's exceptions as the connectors' typed errors, from the answer the session kept."""
    from mastodon.errors import MastodonAPIError, MastodonError, MastodonNetworkError

    try:
        yield
    except MastodonNetworkError as exc:
        cause = exc.__context__  # Mastodon.py wraps whatever the session raised
        if cause is not None and not isinstance(cause, requests.RequestException):
            raise cause from None  # not the network: the source's own rate limit (RateLimited), or a bug
        where = _where(session.last_url)
        if isinstance(cause, requests.Timeout):
            raise TransientError(f"Timeout: {where}") from exc
        raise TransientError(f"Cannot reach {where}: {type(cause or exc).__name__}") from exc
    except MastodonError as exc:
        response = session.last_response
        if response is not None and response.status_code != 200:
            raise _status_error(client, response) from exc
        if isinstance(exc, MastodonAPIError):
            raise BadPayload("Mastodon answer is not JSON") from exc
        raise BadPayload(f"Mastodon.py refused the answer: {type(exc).__name__}") from exc
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        # Mastodon.py reading an answer of the wrong shape (a search answering a list: no "statuses").
        response = session.last_response
        if response is not None and response.status_code != 200:
            raise _status_error(client, response) from exc
        raise BadPayload(f"Mastodon answer has the wrong shape ({type(exc).__name__})") from exc


def _status_error(client, response: requests.Response) -> ConnectorError:
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if retry_after is None and response.status_code == 429 and client.ratelimit_reset:
        # Mastodon's own limiter answers X-RateLimit-Reset (an ISO time), which Mastodon.py read.
        retry_after = max(0.0, float(client.ratelimit_reset) - time.time())
    return status_error(response.status_code, _where(response.url), retry_after=retry_after)


def _answer_json(client, session: _SourceSession):
    """The JSON the instance sent (Mastodon.py read it already; its typed copy is not what the ingest wants)."""
    response = session.last_response
    if response is None:
        raise BadPayload("Mastodon answer missing")
    if response.status_code != 200:
        raise _status_error(client, response)
    try:
        return response.json()
    except ValueError as exc:
        raise BadPayload("Mastodon answer is not JSON") from exc


# --- the connector ------------------------------------------------------------------------------


@register
class MastodonConnector(Connector):
    kind = SourceKind.MASTODON
    platform = "mastodon"
    credential_fields = ("access_token",)
    default_config = {"instance_url": "https://mastodon.social", "hashtags": [], "searches": [], "limit": 40}

    def clean_config(self, config: dict) -> dict:
        config = super().clean_config(config)
        if not str(config["instance_url"]).startswith(("http://", "https://")):
            raise ValidationError({"config": _("“instance_url” must be an http(s) URL.")})
        for key in ("hashtags", "searches"):
            if not isinstance(config[key], list) or not all(isinstance(v, str) for v in config[key]):
                raise ValidationError({"config": _("“%(key)s” must be a list of strings.") % {"key": key}})
        return config

    def timelines(self, source, config) -> list[str]:
        """The timelines' cursor keys: ``tag:<hashtag>`` (lower case) and ``search:<query>`` (or from the watch terms)."""
        hashtags = [h.lstrip("#").strip() for h in config["hashtags"] if h.strip("# ")]
        searches = [s.strip() for s in config["searches"] if s.strip()]
        if not hashtags and not searches and source.pk:
            for term in source.watch_terms.filter(active=True).values_list("term", flat=True):
                if term.startswith("#"):
                    hashtags.append(term.lstrip("#"))
                else:
                    searches.append(term)
        return [f"tag:{h.lower()}" for h in hashtags] + [f"search:{s}" for s in searches]

    def poll(self, source, cursor: dict) -> PollResult:
        config = self.clean_config(source.config)
        return self.poll_timelines(source, cursor, self.timelines(source, config), config)

    def poll_timelines(self, source, cursor: dict, timelines: list[str], config) -> PollResult:
        """One page of each timeline (cursor keys) after its ``min_id`` (also the streaming connector's backfill)."""
        client, session = mastodon_client(source, config, source.credential("access_token"))
        state = dict(cursor.get("timelines") or {})
        items, more = [], False
        limit = int(config["limit"])
        for key in timelines:
            min_id = (state.get(key) or {}).get("min_id") or None
            with mastodon_errors(client, session):
                page = self._fetch(client, key, min_id=min_id, limit=limit)
            body = _answer_json(client, session)
            statuses = body.get("statuses") if key.startswith("search:") and isinstance(body, dict) else body
            if not isinstance(statuses, list):
                raise BadPayload("Mastodon answer is not a list of statuses")
            ids = [str(s["id"]) for s in statuses if isinstance(s, dict) and s.get("id") is not None]
            items.extend(item for item in (self.to_item(s, config) for s in statuses) if item is not None)
            newest = _prev_min_id(client, page) or (max(ids, key=_id_key) if ids else None)
            if newest and (not min_id or _id_key(newest) > _id_key(min_id)):
                state[key] = {"min_id": newest}
                # A full page after a known position: newer statuses may wait behind it.
                more = more or (bool(min_id) and len(statuses) >= limit)
        return PollResult(items=items, new_cursor={"timelines": state}, more=more)

    @staticmethod
    def _fetch(client, key: str, *, min_id: str | None, limit: int):
        kind, term = key.split(":", 1)
        if kind == "tag":
            # Mastodon.py puts the hashtag in the path as given: quoted here, so "a/b" or "a?b" stays one hashtag.
            return client.timeline_hashtag(quote(term, safe=""), min_id=min_id, limit=limit)
        # resolve=False: no WebFinger look-ups for us; exclude_unreviewed concerns hashtags only.
        return client.search_v2(
            term, resolve=False, result_type="statuses", exclude_unreviewed=False, min_id=min_id, limit=limit
        )

    def to_item(self, status, config) -> dict | None:
        if not isinstance(status, dict) or not status.get("id") or not isinstance(status.get("account"), dict):
            return None
        # A boost carries the original: the mention is the original post.
        if isinstance(status.get("reblog"), dict):
            status = status["reblog"]
        account = status.get("account") or {}
        uri = str(status.get("uri") or "")
        host = urlsplit(config["instance_url"]).netloc
        external_id = uri if 0 < len(uri) <= 200 else f"{host}/{status['id']}"
        followers = account.get("followers_count")
        text = strip_html(status.get("content") or "")
        if status.get("spoiler_text"):
            text = f"{status['spoiler_text']}\n{text}"
        return {
            "platform": self.platform,
            "external_id": external_id,
            "url": str(status.get("url") or status.get("uri") or "")[:1000],
            "author": str(account.get("acct") or "")[:200],
            "audience": followers if type(followers) is int and followers >= 0 else 0,
            "text": text[:20000],
            "language": str(status.get("language") or "")[:8],
            "posted_at": str(status.get("created_at") or "").replace("Z", "+00:00"),
            "edited_at": (status.get("edited_at") or "").replace("Z", "+00:00") or None,
        }


def _prev_min_id(client, page) -> str | None:
    """The ``min_id`` of the next newer page, from the ``Link: rel="prev"`` Mastodon.py parsed, if any."""
    info = client.get_pagination_info(page, "previous")
    value = info.get("min_id") if isinstance(info, dict) else None
    return str(value) if value not in (None, "") else None
