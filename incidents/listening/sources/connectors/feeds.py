"""RSS/Atom feeds, Google News searches and Google Alerts feeds, with conditional GET.

``rss``: ``config.url``, any RSS/Atom feed. ``news_rss``: either ``config.url`` (a Google Alerts
feed, Atom, or any news feed) or ``config.query`` — a Google News search feed,
``{base_url}/rss/search?q=…&hl=…&gl=…&ceid=…`` (``base_url`` defaults to https://news.google.com).
Google Alerts links are redirects (``https://www.google.com/url?…&url=<article>``): the article URL
is kept.

Cursor: ``etag`` and ``last_modified`` of the last answer, sent back as ``If-None-Match`` /
``If-Modified-Since``: a ``304 Not Modified`` is a success with nothing new. Entries are parsed
by feedparser (``entries_to_items``) and are idempotent on the entry id. (This connector replaced the
first version's separate feed poller and its ``FeedSource`` rows: migrations 0021 and 0023.)
"""

import calendar
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from incidents.listening import parsing
from incidents.listening.sources.connectors.base import BadPayload, Connector, PollResult, register, source_http
from incidents.listening.sources.models import SourceKind

MAX_ENTRIES = parsing.MAX_BATCH


def _entry_time(entry) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).isoformat()


def entries_to_items(parsed, *, platform: str) -> list[dict]:
    """A parsed feed's entries (at most one ingest batch) as mention items: title — summary, tags stripped."""
    items = []
    for entry in parsed.entries[:MAX_ENTRIES]:
        text = " — ".join(
            part for part in (strip_tags(entry.get("title", "")), strip_tags(entry.get("summary", ""))) if part
        )
        items.append(
            {
                "platform": platform,
                "external_id": (entry.get("id") or entry.get("link") or "")[:200],
                "url": entry.get("link", ""),
                "author": (entry.get("author") or "")[:200],
                "text": text,
                "language": (parsed.feed.get("language") or "")[:8],
                # An entry without a date is taken as seen now: better late than dropped.
                "posted_at": _entry_time(entry) or timezone.now().isoformat(),
            }
        )
    return items


def unwrap_google_redirect(url: str) -> str:
    parts = urlsplit(url)
    if parts.netloc.endswith("google.com") and parts.path == "/url":
        target = parse_qs(parts.query).get("url") or parse_qs(parts.query).get("q")
        if target and target[0].startswith(("http://", "https://")):
            return target[0]
    return url


@register
class RssConnector(Connector):
    kind = SourceKind.RSS
    platform = "rss"
    default_config = {"url": "", "platform": ""}

    def clean_config(self, config: dict) -> dict:
        config = super().clean_config(config)
        if not str(config.get("url") or "").startswith(("http://", "https://")):
            raise ValidationError({"config": _("“url” must be the feed's http(s) URL.")})
        return config

    def feed_url(self, config: dict) -> str:
        return config["url"]

    def poll(self, source, cursor: dict) -> PollResult:
        config = self.clean_config(source.config)
        headers = {}
        if cursor.get("etag"):
            headers["If-None-Match"] = cursor["etag"]
        if cursor.get("last_modified"):
            headers["If-Modified-Since"] = cursor["last_modified"]
        response = source_http(source).get(self.feed_url(config), headers=headers, expected=(200, 304))
        if response.status_code == 304:
            return PollResult(items=[], new_cursor=dict(cursor))
        import feedparser  # here, not at start-up: 0.5 MiB in every web worker that never polls a feed

        parsed = feedparser.parse(response.content)
        if parsed.bozo and not parsed.entries:
            raise BadPayload(f"Not a feed: {type(parsed.get('bozo_exception')).__name__}")
        items = entries_to_items(parsed, platform=config.get("platform") or self.platform)
        for item in items:
            item["url"] = unwrap_google_redirect(item["url"])
        new_cursor = {}
        if response.headers.get("ETag"):
            new_cursor["etag"] = response.headers["ETag"]
        if response.headers.get("Last-Modified"):
            new_cursor["last_modified"] = response.headers["Last-Modified"]
        return PollResult(items=[i for i in items if i["external_id"]], new_cursor=new_cursor)


@register
class NewsConnector(RssConnector):
    kind = SourceKind.NEWS_RSS
    platform = "news"
    default_config = {
        "url": "",
        "query": "",
        "base_url": "https://news.google.com",
        "hl": "en-US",
        "gl": "US",
        "ceid": "US:en",
        "platform": "",
    }

    def clean_config(self, config: dict) -> dict:
        config = {**self.default_config, **(config or {})}
        if not config.get("url") and not str(config.get("query") or "").strip():
            raise ValidationError({"config": _("Give a feed “url” (Google Alerts) or a Google News “query”.")})
        if config.get("url") and not str(config["url"]).startswith(("http://", "https://")):
            raise ValidationError({"config": _("“url” must be the feed's http(s) URL.")})
        return config

    def feed_url(self, config: dict) -> str:
        if config.get("url"):
            return config["url"]
        params = {"q": config["query"], "hl": config["hl"], "gl": config["gl"], "ceid": config["ceid"]}
        return f"{config['base_url'].rstrip('/')}/rss/search?{urlencode(params)}"
