"""RSS/Atom feed sources: fetch, turn entries into mentions, record per-source errors.

The worker polls every active source on a schedule (``incidents.poll_feeds``). One failing
feed (timeout, HTTP error, garbage) records its error on its own row and does not stop the
others. Entries are idempotent like every mention: ``(platform, entry id)``.
"""

import calendar
import logging
from datetime import UTC, datetime

import feedparser
import requests
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from incidents.listening import parsing
from incidents.listening import services as mention_services
from incidents.listening.models import FeedSource

logger = logging.getLogger(__name__)

MAX_ENTRIES = parsing.MAX_BATCH


def fetch(url: str) -> bytes:
    """Download a feed (a seam the tests replace)."""
    timeout = getattr(settings, "FEED_TIMEOUT_SECONDS", 10)
    response = requests.get(url, timeout=timeout, headers={"User-Agent": "CrisisDesk feed poller"})
    response.raise_for_status()
    return response.content


def _entry_time(entry) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).isoformat()


def entries_to_items(parsed, *, platform: str) -> list[dict]:
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


def feed_poll(*, source: FeedSource) -> int:
    """Poll one source; stores its entries and returns how many, or records the error and returns 0."""
    now = timezone.now()
    try:
        parsed = feedparser.parse(fetch(source.url))
        if parsed.bozo and not parsed.entries:
            raise ValueError(str(parsed.get("bozo_exception") or _("Not a feed.")))
        items = entries_to_items(parsed, platform=source.platform)
        mentions, errors = parsing.parse_batch(items) if items else ([], [])
        stored = mention_services.mentions_ingest(mentions=mentions, source="feed").stored if mentions else 0
    except Exception as exc:  # noqa: BLE001 - any failure of one feed is recorded on it, then the next is polled
        logger.warning("feed %s failed: %s", source.pk, exc)
        FeedSource.objects.filter(pk=source.pk).update(
            last_polled_at=now, last_error=str(exc)[:1000], last_error_at=now, last_stored=0
        )
        return 0
    message = _("%(n)d entries skipped (malformed).") % {"n": len(errors)} if errors else ""
    FeedSource.objects.filter(pk=source.pk).update(
        last_polled_at=now, last_stored=stored, last_error=message, last_error_at=now if message else None
    )
    return stored


def feeds_poll_all() -> int:
    """Poll every active source; returns the number of entries stored."""
    return sum(feed_poll(source=source) for source in FeedSource.objects.filter(active=True))


@transaction.atomic
def feed_source_add(*, actor, name: str, url: str, platform: str = "rss") -> FeedSource:
    """Add a feed to poll (team leads)."""
    if not mention_services.can_manage_terms(actor):
        raise PermissionDenied(_("Only team leads manage feed sources."))
    source = FeedSource(name=name, url=url, platform=platform, created_by=actor)
    source.full_clean()
    source.save()
    return source
