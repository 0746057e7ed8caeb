"""Hacker News connector against a fake Algolia search_by_date endpoint (documented shape)."""

import time

import pytest
from django.utils import timezone

from incidents.listening.models import Mention
from incidents.listening.services import watch_term_add
from incidents.listening.sources import polling
from incidents.listening.sources.models import Source, SourceKind

NOW = int(time.time())


def hit(n, created, **extra):
    return {
        "objectID": str(n),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(created)),
        "created_at_i": created,
        "author": f"user{n}",
        "title": f"Acme thing {n}",
        "story_text": None,
        "points": 10 + n,
        "url": f"https://example.org/{n}",
        "_tags": ["story", f"story_{n}"],
        **extra,
    }


class Algolia:
    """search_by_date over a fixed list of hits, filtered and paged as Algolia does."""

    def __init__(self, hits, per_page=2):
        self.hits = hits
        self.per_page = per_page
        self.fail = []  # queued (status, headers, body) answers served before the real ones

    def __call__(self, request):
        if self.fail:
            return self.fail.pop(0)
        q = request["query"]
        low = high = None
        for part in q["numericFilters"].split(","):
            if part.startswith("created_at_i>="):
                low = int(part.split(">=")[1]) - 1
            elif part.startswith("created_at_i>"):
                low = int(part.split(">")[1])
            elif part.startswith("created_at_i<="):
                high = int(part.split("<=")[1])
        matching = [
            h
            for h in sorted(self.hits, key=lambda h: -h["created_at_i"])
            if (low is None or h["created_at_i"] > low)
            and (high is None or h["created_at_i"] <= high)
            and q["query"].lower() in h["title"].lower()
        ]
        per_page = int(q.get("hitsPerPage", 20))
        page = int(q.get("page", 0))
        nb_pages = (len(matching) + per_page - 1) // per_page
        return (
            200,
            {},
            {
                "hits": matching[page * per_page : (page + 1) * per_page],
                "nbHits": len(matching),
                "page": page,
                "nbPages": nb_pages,
                "hitsPerPage": per_page,
            },
        )


@pytest.fixture
def hn(fake_server, team_lead):
    watch_term_add(actor=team_lead, term="Acme", kind="brand")
    algolia = Algolia([hit(n, NOW - 100 * n) for n in range(1, 6)])
    fake_server.route("GET", "/api/v1/search_by_date", algolia)
    source = Source.objects.create(
        name="HN",
        kind=SourceKind.HACKERNEWS,
        config={"base_url": fake_server.url, "queries": ["acme"], "hits_per_page": 2},
        max_requests_per_minute=600,
    )
    return source, algolia


def test_pages_through_and_stores_every_hit(hn, fake_server):
    source, _ = hn
    polling.source_poll(source=source, force=True)
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == ["1", "2", "3", "4", "5"]
    first = fake_server.requests[0]["query"]
    assert first["query"] == "acme" and first["tags"] == "(story,comment)" and first["page"] == "0"
    assert "created_at_i>" in first["numericFilters"]
    assert [r["query"]["page"] for r in fake_server.requests] == ["0", "1", "2"]
    source.refresh_from_db()
    assert source.cursor["queries"]["acme"] == {
        "since": int(fake_server.requests[0]["query"]["numericFilters"].split("<=")[1])
    }
    assert Mention.objects.get(external_id="3").url == "https://news.ycombinator.com/item?id=3"


def test_restart_mid_window_resumes_at_the_page(hn, fake_server, settings, monkeypatch):
    from incidents.listening.sources.connectors import hackernews

    source, algolia = hn
    monkeypatch.setattr(hackernews.time, "time", lambda: NOW)
    settings.SOURCE_MAX_PAGES = 1  # the "process" stops after one page
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.cursor["queries"]["acme"]["page"] == 1
    top = source.cursor["queries"]["acme"]["top"]
    # A new hit arrives after the window's top: it must not shift the pages of the window.
    algolia.hits.append(hit(9, NOW + 50))
    assert top == NOW
    settings.SOURCE_MAX_PAGES = 10
    reloaded = Source.objects.get(pk=source.pk)
    polling.source_poll(source=reloaded, force=True)
    assert set(Mention.objects.values_list("external_id", flat=True)) == {"1", "2", "3", "4", "5"}
    assert fake_server.requests[1]["query"]["numericFilters"].endswith(f"<={top}")
    # The next window starts at the old top and picks up the newcomer; the overlap replays no duplicate.
    reloaded.refresh_from_db()
    monkeypatch.setattr(hackernews.time, "time", lambda: NOW + 60)
    polling.source_poll(source=reloaded, force=True)
    assert Mention.objects.count() == 6


def test_429_backs_off_with_retry_after_and_keeps_cursor(hn):
    source, algolia = hn
    algolia.fail.append((429, {"Retry-After": "120"}, {"message": "slow down"}))
    before = timezone.now()
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.cursor == {}
    assert "429" in source.last_error and source.consecutive_failures == 1
    assert (source.backoff_until - before).total_seconds() >= 119
    assert not Mention.objects.exists()
    # In back-off, the scheduled poll skips it; Fetch now (force) still runs.
    assert polling.source_poll(source=source) is None
    polling.source_poll(source=source, force=True)
    assert Mention.objects.count() == 5


def test_5xx_and_malformed_are_failures_not_crashes(hn):
    source, algolia = hn
    algolia.fail.append((503, {}, "upstream down"))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert "503" in source.last_error
    algolia.fail.append((200, {}, {"unexpected": True}))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert "hits" in source.last_error and source.consecutive_failures == 2
    algolia.fail.append((200, {}, "<html>not json"))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert "Not JSON" in source.last_error
    assert source.cursor == {} and not Mention.objects.exists()


def test_edited_hit_updates_the_mention(hn):
    source, algolia = hn
    polling.source_poll(source=source, force=True)
    algolia.hits[0] = hit(1, NOW - 100, title="Acme thing 1 (edited)", updated_at="2099-01-01T00:00:00Z")
    source.refresh_from_db()
    polling.source_poll(source=source, force=True)
    assert Mention.objects.get(external_id="1").text == "Acme thing 1 (edited)"
    assert Mention.objects.filter(external_id="1").count() == 1
