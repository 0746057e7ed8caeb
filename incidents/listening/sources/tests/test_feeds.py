"""RSS, Google News and Google Alerts sources against a fake feed server: ETag / Last-Modified, 304, garbage."""

import pytest

from incidents.listening.models import Mention
from incidents.listening.sources import polling
from incidents.listening.sources.models import Source, SourceKind

pytestmark = pytest.mark.django_db

RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Acme - Google News</title><language>en</language>
<item><guid isPermaLink="false">CBMi-1</guid><title>Acme recalls blender jars - Daily</title>
<link>https://news.google.com/rss/articles/CBMi-1</link><pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate>
<description>Acme jars crack</description></item>
</channel></rss>"""

ALERTS = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:idx="urn:atom-extension:indexing">
<id>tag:google.com,2005:reader/user/1/state/com.google/alerts/2</id><title>Google Alert - Acme</title>
<updated>2026-11-20T10:00:00Z</updated>
<entry><id>tag:google.com,2013:googlealerts/feed:111</id><title type="html">&lt;b&gt;Acme&lt;/b&gt; sued</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://paper.example/acme-sued&amp;ct=ga"/>
<published>2026-11-20T09:00:00Z</published><updated>2026-11-20T09:00:00Z</updated>
<content type="html">Acme faces a lawsuit</content></entry></feed>"""


class Feed:
    def __init__(self, body, etag='"v1"', modified="Fri, 20 Nov 2026 10:00:00 GMT"):
        self.body, self.etag, self.modified = body, etag, modified
        self.fail = []

    def __call__(self, request):
        if self.fail:
            return self.fail.pop(0)
        headers = request["headers"]
        if headers.get("If-None-Match") == self.etag or headers.get("If-Modified-Since") == self.modified:
            return 304, {"ETag": self.etag}, b""
        return (
            200,
            {"ETag": self.etag, "Last-Modified": self.modified, "Content-Type": "application/rss+xml"},
            self.body,
        )


def test_google_news_query_feed_with_etag(fake_server):
    feed = Feed(RSS)
    fake_server.route("GET", "/rss/search", feed)
    source = Source.objects.create(
        name="GN", kind=SourceKind.NEWS_RSS, config={"query": "Acme blender", "base_url": fake_server.url}
    )
    result = polling.source_poll(source=source, force=True)
    assert result.created == 1
    assert fake_server.requests[0]["query"] == {"q": "Acme blender", "hl": "en-US", "gl": "US", "ceid": "US:en"}
    source.refresh_from_db()
    assert source.cursor == {"etag": '"v1"', "last_modified": "Fri, 20 Nov 2026 10:00:00 GMT"}
    result = polling.source_poll(source=source, force=True)
    assert fake_server.requests[1]["headers"]["If-None-Match"] == '"v1"'
    assert result.fetched == 0
    source.refresh_from_db()
    assert source.cursor["etag"] == '"v1"' and source.consecutive_failures == 0
    m = Mention.objects.get()
    assert (m.platform, m.external_id) == ("news", "CBMi-1")


def test_google_alerts_atom_unwraps_redirect_links(fake_server):
    fake_server.route("GET", "/alerts/feeds/1/2", Feed(ALERTS))
    source = Source.objects.create(
        name="Alerts", kind=SourceKind.NEWS_RSS, config={"url": f"{fake_server.url}/alerts/feeds/1/2"}
    )
    polling.source_poll(source=source, force=True)
    m = Mention.objects.get()
    assert m.url == "https://paper.example/acme-sued"
    assert m.text.startswith("Acme sued")


def test_rss_garbage_and_5xx_fail_visibly(fake_server):
    feed = Feed("<html>nope")
    fake_server.route("GET", "/feed", feed)
    source = Source.objects.create(name="RSS", kind=SourceKind.RSS, config={"url": f"{fake_server.url}/feed"})
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.last_error.startswith("BadPayload") and source.cursor == {}
    feed.fail.append((502, {"Retry-After": "30"}, "bad gateway"))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert "502" in source.last_error and source.consecutive_failures == 2


def test_rss_entries_become_mentions_title_then_summary_tags_stripped(fake_server):
    """What the first version's feed poller stored, the rss source stores: text, date, language, sentiment."""
    body = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Consumer news</title><language>en</language>
<item><guid>n-1</guid><title>Acme recalls blender jars</title>
<description>&lt;p&gt;Jars may crack, dangerous.&lt;/p&gt;</description>
<link>https://news.example.org/1</link><pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"""
    fake_server.route("GET", "/feed", Feed(body))
    source = Source.objects.create(name="News", kind=SourceKind.RSS, config={"url": f"{fake_server.url}/feed"})
    assert polling.source_poll(source=source, force=True).created == 1
    recall = Mention.objects.get(external_id="n-1")
    assert recall.platform == "rss"
    assert recall.text == "Acme recalls blender jars — Jars may crack, dangerous."
    assert recall.sentiment_label == "negative"
    assert recall.posted_at.isoformat() == "2026-11-20T10:00:00+00:00"
    assert (recall.url, recall.language) == ("https://news.example.org/1", "en")


def test_the_old_feeds_page_sends_bookmarks_to_the_sources(client_for, observer):
    from django.urls import reverse

    response = client_for(observer).get("/mentions/feeds/")
    assert response.status_code == 301 and response["Location"] == reverse("mentions:sources")
