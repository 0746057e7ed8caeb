"""Bluesky post search against a fake PDS/AppView speaking XRPC: sessions, refresh, windows and paging."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from incidents.listening.models import Mention
from incidents.listening.services import watch_term_add
from incidents.listening.sources import polling, stream
from incidents.listening.sources.connectors import bluesky_search
from incidents.listening.sources.fakes.jetstream import FakeJetstream, post_event
from incidents.listening.sources.models import Source, SourceKind

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DID = "did:plc:abc123"


def at(minutes: float) -> str:
    return bluesky_search.stamp(NOW - timedelta(minutes=minutes))


def post(rkey, minutes_ago, text="Acme broke my phone", **extra):
    """A ``postView`` as searchPosts returns it."""
    when = at(minutes_ago)
    return {
        "uri": f"at://{DID}/app.bsky.feed.post/{rkey}",
        "cid": f"bafy{rkey}",
        "author": {"did": DID, "handle": "alice.bsky.social", "displayName": "Alice"},
        "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": when, "langs": ["en"]},
        "indexedAt": when,
        "likeCount": 1,
        "repostCount": 0,
        "replyCount": 0,
        **extra,
    }


class AppView:
    """createSession / refreshSession / searchPosts as the documented XRPC endpoints answer them."""

    def __init__(self, posts, *, password="app-pass-1234"):
        self.posts = posts
        self.password = password
        self.access, self.refresh = set(), set()
        self.issued = 0
        self.refresh_refused = False
        self.fail = []  # queued (status, headers, body) answers to searchPosts

    def _tokens(self):
        self.issued += 1
        access, refresh = f"acc-{self.issued}", f"ref-{self.issued}"
        self.access.add(access)
        self.refresh.add(refresh)
        return {"accessJwt": access, "refreshJwt": refresh, "handle": "acme.bsky.social", "did": "did:plc:me"}

    def expire_access(self):
        self.access.clear()

    def create_session(self, request):
        import json

        body = json.loads(request["body"] or b"{}")
        if body.get("identifier") != "acme.bsky.social" or body.get("password") != self.password:
            return 401, {}, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
        return 200, {}, self._tokens()

    def refresh_session(self, request):
        token = request["headers"].get("Authorization", "").removeprefix("Bearer ")
        if self.refresh_refused or token not in self.refresh:
            return 400, {}, {"error": "ExpiredToken", "message": "Token has expired"}
        self.refresh.discard(token)
        return 200, {}, self._tokens()

    def search(self, request):
        if request["headers"].get("Authorization", "").removeprefix("Bearer ") not in self.access:
            return 400, {}, {"error": "ExpiredToken", "message": "Token has expired"}
        if self.fail:
            return self.fail.pop(0)
        q = request["query"]
        since, until = bluesky_search.parse_time(q.get("since")), bluesky_search.parse_time(q.get("until"))

        # Tolerant of the malformed posts a test plants (they sort as "now").
        def when(p):
            return bluesky_search.sort_at(p) or NOW

        hits = [
            p
            for p in self.posts
            if q["q"].lower() in str((p.get("record") or {}).get("text", "")).lower()
            and (since is None or when(p) >= since)
            and (until is None or when(p) < until)
        ]
        hits.sort(key=lambda p: (when(p), str(p["uri"])), reverse=True)
        offset, limit = int(q.get("cursor") or 0), int(q.get("limit", 25))
        page = hits[offset : offset + limit]
        body = {"posts": page, "hitsTotal": len(hits)}
        if offset + limit < len(hits):
            body["cursor"] = str(offset + limit)
        return 200, {}, body


@pytest.fixture
def appview(fake_server, team_lead, monkeypatch):
    bluesky_search.sessions.clear()
    monkeypatch.setattr(bluesky_search.time, "time", lambda: NOW.timestamp())
    watch_term_add(actor=team_lead, term="acme", kind="brand")
    view = AppView([post(f"r{n}", 10 * n) for n in range(1, 6)])
    fake_server.route("POST", "/xrpc/com.atproto.server.createSession", view.create_session)
    fake_server.route("POST", "/xrpc/com.atproto.server.refreshSession", view.refresh_session)
    fake_server.route("GET", "/xrpc/app.bsky.feed.searchPosts", view.search)
    source = Source(
        name="Bluesky search",
        kind=SourceKind.BLUESKY_SEARCH,
        config={"base_url": fake_server.url, "limit": 2},
        max_requests_per_minute=600,
    )
    source.set_credentials({"identifier": "acme.bsky.social", "app_password": "app-pass-1234"})
    source.save()
    yield source, view
    bluesky_search.sessions.clear()


def searches(fake_server):
    return [r["query"] for r in fake_server.requests if r["path"].endswith("searchPosts")]


def test_logs_in_pages_a_frozen_window_and_stores_the_cursor(appview, fake_server):
    source, _ = appview
    polling.source_poll(source=source, force=True)
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == [
        f"at://{DID}/app.bsky.feed.post/r{n}" for n in range(1, 6)
    ]
    login = fake_server.requests[0]
    assert login["path"].endswith("createSession") and b"app-pass-1234" in login["body"]
    pages = searches(fake_server)
    assert [p.get("cursor") for p in pages] == [None, "2", "4"]
    assert {p["until"] for p in pages} == {bluesky_search.stamp(NOW)}  # frozen while paging
    assert pages[0]["since"] == bluesky_search.stamp(NOW - timedelta(hours=24))
    assert pages[0]["q"] == "acme" and pages[0]["sort"] == "latest" and pages[0]["limit"] == "2"
    source.refresh_from_db()
    assert source.cursor == {"queries": {"acme": {"since": at(10), "uris": [f"at://{DID}/app.bsky.feed.post/r1"]}}}
    m = Mention.objects.get(external_id__endswith="/r3")
    assert (m.platform, m.author, m.url, m.language, m.text) == (
        "bluesky",
        DID,
        f"https://bsky.app/profile/{DID}/post/r3",
        "en",
        "Acme broke my phone",
    )
    # The session is reused: one login for every page; tokens never reach the cursor or the health.
    assert sum(r["path"].endswith("createSession") for r in fake_server.requests) == 1
    assert "acc-" not in str(source.cursor) and "app-pass" not in source.last_error


def test_next_window_starts_at_the_newest_post_and_skips_its_uris(appview, fake_server, monkeypatch):
    source, view = appview
    polling.source_poll(source=source, force=True)
    # Another post at the very instant of the newest one, and one newer.
    view.posts += [post("r1b", 10), post("r0", 5)]
    later = NOW + timedelta(minutes=1)
    monkeypatch.setattr(bluesky_search.time, "time", lambda: later.timestamp())
    before = len(searches(fake_server))
    polling.source_poll(source=Source.objects.get(pk=source.pk), force=True)
    window = searches(fake_server)[before:]
    assert {(p["since"], p["until"]) for p in window} == {(at(10), bluesky_search.stamp(later))}
    # r1 is served again (since is inclusive) but skipped: only the two new posts are fetched.
    assert len(window) == 2
    source.refresh_from_db()
    assert sum(run.fetched for run in source.runs.all()) == 7
    assert Mention.objects.count() == 7
    source.refresh_from_db()
    assert source.cursor["queries"]["acme"] == {"since": at(5), "uris": [f"at://{DID}/app.bsky.feed.post/r0"]}


def test_restart_mid_window_resumes_at_the_page_without_gaps_or_duplicates(appview, fake_server, settings, monkeypatch):
    source, view = appview
    settings.SOURCE_MAX_PAGES = 1  # the process stops after one page
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    state = source.cursor["queries"]["acme"]
    assert state["cursor"] == "2" and state["until"] == bluesky_search.stamp(NOW) and state["top"] == at(10)
    # A post arriving during the window is above its frozen bound: the pages do not shift.
    view.posts.append(post("new", -1))
    settings.SOURCE_MAX_PAGES = 10
    bluesky_search.sessions.clear()  # a new process: logs in again
    polling.source_poll(source=Source.objects.get(pk=source.pk), force=True)
    assert [p.get("cursor") for p in searches(fake_server)] == [None, "2", "4"]
    assert Mention.objects.count() == 5
    source.refresh_from_db()
    assert source.cursor["queries"]["acme"]["since"] == at(10)
    monkeypatch.setattr(bluesky_search.time, "time", lambda: (NOW + timedelta(minutes=2)).timestamp())
    polling.source_poll(source=Source.objects.get(pk=source.pk), force=True)
    assert Mention.objects.count() == 6 and Mention.objects.filter(external_id__endswith="/new").count() == 1


def test_expired_access_token_is_refreshed_then_login_again(appview, fake_server):
    source, view = appview
    polling.source_poll(source=source, force=True)
    view.expire_access()
    view.posts.append(post("r0", 1))
    polling.source_poll(source=Source.objects.get(pk=source.pk), force=True)
    paths = [r["path"].rsplit(".", 1)[1] for r in fake_server.requests]
    assert paths[-3:] == ["searchPosts", "refreshSession", "searchPosts"]
    assert fake_server.requests[-1]["headers"]["Authorization"] == "Bearer acc-2"
    assert Mention.objects.count() == 6
    # Refresh token refused as well: a new login, and the poll still succeeds.
    view.expire_access()
    view.refresh_refused = True
    view.posts.append(post("rr", 0.5))
    polling.source_poll(source=Source.objects.get(pk=source.pk), force=True)
    paths = [r["path"].rsplit(".", 1)[1] for r in fake_server.requests]
    assert paths[-4:] == ["searchPosts", "refreshSession", "createSession", "searchPosts"]
    assert Mention.objects.count() == 7
    source.refresh_from_db()
    assert source.consecutive_failures == 0 and source.last_error == ""


def test_wrong_app_password_is_an_auth_error_without_the_secret(appview, fake_server):
    source, view = appview
    source.set_credentials({"identifier": "acme.bsky.social", "app_password": "wr0ng-s3cret"})
    source.save()
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.last_error.startswith("AuthError") and "AuthenticationRequired" in source.last_error
    assert "wr0ng-s3cret" not in source.last_error and source.cursor == {}
    assert not searches(fake_server) and not Mention.objects.exists()
    missing = Source.objects.create(name="no creds", kind=SourceKind.BLUESKY_SEARCH, config=source.config)
    polling.source_poll(source=missing, force=True)
    missing.refresh_from_db()
    assert "app_password" in missing.last_error


def test_429_5xx_and_malformed_answers_are_failures_and_keep_the_cursor(appview):
    source, view = appview
    view.fail.append((429, {"Retry-After": "90"}, {"error": "RateLimitExceeded"}))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert "429" in source.last_error and (source.backoff_until - source.last_error_at).total_seconds() >= 89
    for answer, message in (
        ((502, {}, "bad gateway"), "502"),
        ((200, {}, {"feed": []}), "posts"),
        ((200, {}, {"posts": [], "cursor": 7}), "cursor"),
        ((200, {}, "<html>"), "not JSON"),
        ((400, {}, {"error": "InvalidRequest", "message": "bad q"}), "InvalidRequest"),
    ):
        view.fail.append(answer)
        polling.source_poll(source=source, force=True)
        source.refresh_from_db()
        assert message in source.last_error
    assert source.cursor == {} and source.consecutive_failures == 6 and not Mention.objects.exists()
    # Posts that are not addressable post records are skipped, the others stored.
    view.posts = [
        {**post("like", 1), "uri": "at://x/app.bsky.feed.like/1"},
        {**post("odd", 1), "uri": 3},
        {"uri": f"at://{DID}/app.bsky.feed.post/notime", "record": {"text": "acme"}},
        {**post("notext", 1), "record": {"text": None, "createdAt": at(1)}},
        post("ok", 1),
    ]
    polling.source_poll(source=source, force=True)
    assert list(Mention.objects.values_list("external_id", flat=True)) == [f"at://{DID}/app.bsky.feed.post/ok"]


def test_queries_from_config_and_config_validation(appview, fake_server):
    from django.core.exceptions import ValidationError

    source, _ = appview
    source.config = {**source.config, "queries": ["Acme phone", "globex"]}
    source.save()
    polling.source_poll(source=source, force=True)
    assert {p["q"] for p in searches(fake_server)} == {"Acme phone", "globex"}
    connector = bluesky_search.BlueskySearchConnector()
    assert connector.clean_config({})["base_url"] == "https://bsky.social"
    for bad in ({"base_url": "ftp://x"}, {"queries": "acme"}, {"limit": 500}, {"lookback_hours": "1"}):
        with pytest.raises(ValidationError):
            connector.clean_config(bad)


def test_a_post_seen_by_jetstream_and_search_is_one_mention_keeping_its_edit(appview):
    source, view = appview
    rkey_time = int(time.mktime(NOW.timetuple())) * 1_000_000
    events = [
        post_event(DID, "r2", rkey_time, text="Acme broke my phone"),
        post_event(DID, "r2", rkey_time + 1, text="Acme broke my phone (edited)", operation="update"),
    ]
    for event in events:
        event["commit"].setdefault("record", {})["createdAt"] = at(20)
    with FakeJetstream(events) as fake:
        jet = Source.objects.create(
            name="Jetstream", kind=SourceKind.BLUESKY_JETSTREAM, config={"base_url": fake.url, "batch_seconds": 0.05}
        )
        stream.run_source(jet.pk, stop=threading.Event(), max_failures=1)
    polling.source_poll(source=source, force=True)
    assert Mention.objects.count() == 5
    # The search copy is the older version (no edit time): the edit seen on the stream stays.
    assert Mention.objects.get(external_id=f"at://{DID}/app.bsky.feed.post/r2").text == "Acme broke my phone (edited)"
