"""RSS/Atom polling: entries become mentions idempotently; a broken feed records its error and others go on."""

import pytest
import requests

from incidents.listening import feeds as mention_feeds
from incidents.listening.models import FeedSource, Mention

RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Consumer news</title><language>en</language>
<item><guid>n-1</guid><title>Acme recalls blender jars</title><description>&lt;p&gt;Jars may crack, dangerous.&lt;/p&gt;</description>
<link>https://news.example.org/1</link><pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>
<item><guid>n-2</guid><title>Acme opens a store</title><link>https://news.example.org/2</link>
<pubDate>Fri, 20 Nov 2026 11:00:00 GMT</pubDate></item>
</channel></rss>"""


@pytest.fixture
def sources(db):
    good = FeedSource.objects.create(name="News", url="https://news.example.org/feed", platform="news")
    bad = FeedSource.objects.create(name="Down", url="https://down.example.org/feed")
    return good, bad


def fake_fetch(url):
    if "down" in url:
        raise requests.ConnectionError("connection refused")
    return RSS


def test_poll_stores_entries_idempotently_and_records_errors(sources, monkeypatch):
    monkeypatch.setattr(mention_feeds, "fetch", fake_fetch)
    good, bad = sources
    assert mention_feeds.feeds_poll_all() == 2
    assert mention_feeds.feeds_poll_all() == 2
    assert Mention.objects.count() == 2
    recall = Mention.objects.get(external_id="n-1")
    assert recall.platform == "news"
    assert recall.text == "Acme recalls blender jars — Jars may crack, dangerous."
    assert recall.sentiment_label == "negative"
    assert recall.posted_at.isoformat() == "2026-11-20T10:00:00+00:00"
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.last_stored, good.last_error) == (2, "")
    assert "connection refused" in bad.last_error and bad.last_error_at is not None


def test_garbage_is_an_error(sources, monkeypatch):
    monkeypatch.setattr(mention_feeds, "fetch", lambda url: b"<html><body>not a feed")
    good, _ = sources
    assert mention_feeds.feed_poll(source=good) == 0
    good.refresh_from_db()
    assert good.last_error


def test_only_team_leads_add_sources(team_lead, communicator):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        mention_feeds.feed_source_add(actor=communicator, name="x", url="https://x.example.org/rss")
    source = mention_feeds.feed_source_add(actor=team_lead, name="x", url="https://x.example.org/rss")
    assert source.created_by == team_lead


def test_feeds_page_shows_errors_and_lets_team_leads_add(team_lead, observer, client_for, sources, monkeypatch):
    from django.urls import reverse

    monkeypatch.setattr(mention_feeds, "fetch", fake_fetch)
    mention_feeds.feeds_poll_all()
    assert "connection refused" in client_for(observer).get(reverse("mentions:feeds")).content.decode()
    client_for(observer).post(
        reverse("mentions:feeds"), {"name": "o", "url": "https://o.example.org/rss", "platform": "rss"}
    )
    assert not FeedSource.objects.filter(name="o").exists()
    client_for(team_lead).post(
        reverse("mentions:feeds"), {"name": "t", "url": "https://t.example.org/rss", "platform": "rss"}
    )
    assert FeedSource.objects.filter(name="t", created_by=team_lead).exists()
