"""Mastodon: hashtag timelines and status search of chosen instances, over the documented REST API.

- ``GET {instance}/api/v1/timelines/tag/{hashtag}?limit=40&min_id=…`` (public on most instances);
- ``GET {instance}/api/v2/search?q=…&type=statuses&limit=40&min_id=…`` (needs an ``access_token``
  credential on most instances; sent as ``Authorization: Bearer``).

Both answer a list of statuses, newest first, and a ``Link`` header whose ``rel="prev"`` URL holds
the ``min_id`` of the next, newer page. Cursor, per timeline: ``min_id`` — the newest status id
stored; a poll asks for the statuses immediately after it (``min_id`` pages forward without gaps)
and asks again while pages come back full. The first poll takes the newest page only.

Plain HTTP rather than Mastodon.py: the same typed errors, ``Retry-After`` and per-source limit as
every connector, and an instance URL that tests point at a fake. Streaming is not used here.
"""

import html
import re
from urllib.parse import parse_qs, quote, urlsplit

import requests
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents.listening.sources.connectors.base import BadPayload, Connector, PollResult, register, source_http
from incidents.listening.sources.models import SourceKind

_TAGS = re.compile(r"<[^>]+>")
_BREAKS = re.compile(r"</p>|<br\s*/?>", re.IGNORECASE)


def strip_html(value: str) -> str:
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n", value or ""))).strip()


def link_min_id(header: str | None) -> str | None:
    """The ``min_id`` of the ``rel="prev"`` link (the next newer page), if the answer has one."""
    if not header:
        return None
    for link in requests.utils.parse_header_links(header):
        if link.get("rel") == "prev":
            values = parse_qs(urlsplit(link.get("url", "")).query).get("min_id")
            if values:
                return values[0]
    return None


def _id_key(value: str) -> tuple[int, str]:
    # Mastodon ids are numeric strings (snowflakes); compare them as numbers.
    return (int(value), value) if str(value).isdigit() else (0, str(value))


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

    def timelines(self, source, config) -> list[tuple[str, str, dict]]:
        """(cursor key, path, params) per timeline: the hashtags (or hashtag watch terms) and the searches."""
        base = config["instance_url"].rstrip("/")
        hashtags = [h.lstrip("#").strip() for h in config["hashtags"] if h.strip("# ")]
        searches = [s.strip() for s in config["searches"] if s.strip()]
        if not hashtags and not searches and source.pk:
            for term in source.watch_terms.filter(active=True).values_list("term", flat=True):
                if term.startswith("#"):
                    hashtags.append(term.lstrip("#"))
                else:
                    searches.append(term)
        result = [
            (f"tag:{h.lower()}", f"{base}/api/v1/timelines/tag/{quote(h.lower(), safe='')}", {}) for h in hashtags
        ]
        result += [(f"search:{s}", f"{base}/api/v2/search", {"q": s, "type": "statuses"}) for s in searches]
        return result

    def poll(self, source, cursor: dict) -> PollResult:
        config = self.clean_config(source.config)
        return self.poll_timelines(source, cursor, self.timelines(source, config), config)

    def poll_timelines(self, source, cursor: dict, timelines, config) -> PollResult:
        """One page of each timeline after its ``min_id`` (also the streaming connector's backfill)."""
        http = source_http(source)
        token = source.credential("access_token")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        state = dict(cursor.get("timelines") or {})
        items, more = [], False
        limit = int(config["limit"])
        for key, url, params in timelines:
            params = {**params, "limit": limit}
            min_id = (state.get(key) or {}).get("min_id")
            if min_id:
                params["min_id"] = min_id
            response = http.get(url, params=params, headers=headers)
            try:
                body = response.json()
            except ValueError as exc:
                raise BadPayload("Mastodon answer is not JSON") from exc
            statuses = body.get("statuses") if key.startswith("search:") and isinstance(body, dict) else body
            if not isinstance(statuses, list):
                raise BadPayload("Mastodon answer is not a list of statuses")
            ids = [str(s["id"]) for s in statuses if isinstance(s, dict) and s.get("id") is not None]
            items.extend(item for item in (self.to_item(s, config) for s in statuses) if item is not None)
            newest = link_min_id(response.headers.get("Link")) or (max(ids, key=_id_key) if ids else None)
            if newest and (not min_id or _id_key(newest) > _id_key(min_id)):
                state[key] = {"min_id": newest}
                # A full page after a known position: newer statuses may wait behind it.
                more = more or (bool(min_id) and len(statuses) >= limit)
        return PollResult(items=items, new_cursor={"timelines": state}, more=more)

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
