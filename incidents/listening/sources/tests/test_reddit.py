"""Reddit connector (praw) against a fake Reddit: OAuth token endpoint and documented Listing / t3 answers."""

import base64
import time
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.listening.models import Mention
from incidents.listening.services import watch_term_add
from incidents.listening.sources import polling
from incidents.listening.sources.connectors import reddit
from incidents.listening.sources.connectors.base import get_connector
from incidents.listening.sources.models import Source, SourceKind
from incidents.listening.sources.tests.listing_helpers import (
    assert_requests_wait_for_the_rate_limit,
    assert_served_twice_or_replayed_is_stored_once,
    poll_fresh,
    reloaded,
)

pytestmark = pytest.mark.django_db

NOW = int(time.time()) - 3600


def post(n, created=None, **extra):
    """A t3 as Reddit's listings carry it (the fields the connector reads, and some it does not)."""
    return {
        "kind": "t3",
        "data": {
            "id": f"p{n}",
            "name": f"t3_p{n}",
            "subreddit": "acme",
            "subreddit_subscribers": 5000,
            "title": f"Acme post {n}",
            "selftext": f"Acme body {n}",
            "author": f"user{n}",
            "created_utc": float(NOW + 10 * n if created is None else created),
            "edited": False,
            "permalink": f"/r/acme/comments/p{n}/acme_post_{n}/",
            "url": f"https://www.reddit.com/r/acme/comments/p{n}/acme_post_{n}/",
            "removed_by_category": None,
            "score": 3,
            "num_comments": 0,
            **extra,
        },
    }


def _created(post):
    created = post["data"]["created_utc"]
    return created if isinstance(created, float) else NOW + 1e6  # a garbled time: listed first


class FakeReddit:
    """The token endpoint and the listings, as Reddit serves them to an app-only OAuth client."""

    def __init__(self, posts, *, client_id="app-id", secret="app-s3cret"):
        self.posts = posts
        self.client_id, self.secret = client_id, secret
        self.tokens = set()
        self.fail = []  # queued (status, headers, body) answers for the listing/info endpoints
        self.token_fail = []

    def token(self, request):
        if self.token_fail:
            return self.token_fail.pop(0)
        expected = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        form = {k: v[-1] for k, v in parse_qs(request["body"].decode()).items()}
        if request["headers"].get("Authorization") != f"Basic {expected}":
            return 401, {}, {"message": "Unauthorized", "error": 401}
        if form.get("grant_type") != "client_credentials":
            return 200, {}, {"error": "unsupported_grant_type"}
        token = f"tok-{len(self.tokens) + 1}"
        self.tokens.add(token)
        return 200, {}, {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"}

    def _refusal(self, request):
        """A queued failure, or Reddit's 401 for a missing or unknown bearer token; None to answer."""
        if self.fail:
            return self.fail.pop(0)
        header = request["headers"].get("Authorization", "")
        if not (header.startswith("bearer ") and header.split(" ", 1)[1] in self.tokens):
            return (
                401,
                {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'},
                {"message": "Unauthorized"},
            )
        return None

    def _answer(self, request, posts):
        if refusal := self._refusal(request):
            return refusal
        q = request["query"]
        ordered = sorted(posts, key=lambda p: (-_created(p), p["data"]["name"]))
        if "after" in q:
            names = [p["data"]["name"] for p in ordered]
            ordered = ordered[names.index(q["after"]) + 1 :] if q["after"] in names else []
        limit = int(q.get("limit", 25))
        page = ordered[:limit]
        after = page[-1]["data"]["name"] if len(ordered) > limit else None
        headers = {"x-ratelimit-remaining": "99", "x-ratelimit-used": "1", "x-ratelimit-reset": "500"}
        body = {"kind": "Listing", "data": {"after": after, "before": None, "dist": len(page), "children": page}}
        return 200, headers, body

    def new(self, request):
        # /r/acme/new lists what is live: removed posts drop out of it.
        return self._answer(request, [p for p in self.posts if not p["data"]["removed_by_category"]])

    def search(self, request):
        q = request["query"]["q"].lower()
        return self._answer(request, [p for p in self.posts if q in p["data"]["title"].lower()])

    def info(self, request):
        if refusal := self._refusal(request):
            return refusal
        wanted = request["query"]["id"].split(",")
        found = [p for p in self.posts if p["data"]["name"] in wanted]
        return 200, {}, {"kind": "Listing", "data": {"after": None, "before": None, "children": found}}


@pytest.fixture(autouse=True)
def fresh_clients():
    reddit.forget_clients()
    yield
    reddit.forget_clients()


def make_source(url, credentials=None, **config):
    source = Source(
        name="Reddit r/acme",
        kind=SourceKind.REDDIT,
        config={"oauth_url": url, "reddit_url": url, "subreddits": ["acme"], "limit": 2, **config},
        max_requests_per_minute=600,
    )
    source.set_credentials(credentials or {"client_id": "app-id", "client_secret": "app-s3cret"})
    source.save()
    return source


@pytest.fixture
def subreddit(fake_server):
    fake = FakeReddit([post(n) for n in range(1, 4)])
    fake_server.route("POST", "/api/v1/access_token", fake.token)
    fake_server.route("GET", "/r/acme/new", fake.new)
    fake_server.route("GET", "/search", fake.search)
    fake_server.route("GET", "/api/info", fake.info)
    return make_source(fake_server.url), fake


def listing_requests(fake_server, path="/r/acme/new"):
    return [r for r in fake_server.requests if r["path"] == path]


def test_token_then_newest_page_then_walks_back_to_the_cursor(subreddit, fake_server):
    source, fake = subreddit
    polling.source_poll(source=source, force=True)
    token = fake_server.requests[0]
    assert token["path"] == "/api/v1/access_token" and b"grant_type=client_credentials" in token["body"]
    assert set(Mention.objects.values_list("external_id", flat=True)) == {"t3_p2", "t3_p3"}
    source.refresh_from_db()
    assert source.cursor["listings"] == {"r:acme": {"since": NOW + 30.0, "since_ids": ["t3_p3"]}}
    m = Mention.objects.get(external_id="t3_p3")
    assert (m.platform, m.text, m.author, m.audience) == ("reddit", "Acme post 3\n\nAcme body 3", "user3", 5000)
    assert m.url == "https://www.reddit.com/r/acme/comments/p3/acme_post_3/"
    assert m.posted_at.timestamp() == NOW + 30

    fake.posts += [post(n) for n in range(4, 9)]
    polling.source_poll(source=source, force=True)
    # Newest page, then back with after= until the page reaches the stored time; one token for all.
    assert [r["query"].get("after") for r in listing_requests(fake_server)] == [None, None, "t3_p7", "t3_p5"]
    assert len([r for r in fake_server.requests if r["path"] == "/api/v1/access_token"]) == 1
    assert Mention.objects.count() == 7
    source.refresh_from_db()
    assert source.cursor["listings"]["r:acme"] == {"since": NOW + 80.0, "since_ids": ["t3_p8"]}
    assert set(source.cursor["recent"]) == {f"t3_p{n}" for n in range(2, 9)}


def test_restart_from_the_stored_cursor_fetches_no_duplicate(subreddit, fake_server):
    source, fake = subreddit
    polling.source_poll(source=source, force=True)
    fake.posts.append(post(4))
    reddit.forget_clients()  # a new process: no client, the cursor read from the database
    fresh = reloaded(source)
    result = polling.source_poll(source=fresh, force=True)
    assert (result.fetched, result.created) == (1, 1)
    assert Mention.objects.count() == 3
    # Idle: nothing new is fetched, not even the post at the cursor's own second.
    result = poll_fresh(source)
    assert (result.fetched, result.created) == (0, 0)


def test_restart_in_the_middle_of_a_walk_resumes_at_its_place(subreddit, fake_server, settings):
    source, fake = subreddit
    polling.source_poll(source=source, force=True)
    fake.posts += [post(n) for n in range(4, 9)]
    settings.SOURCE_MAX_PAGES = 1  # the "process" stops after one page
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    state = source.cursor["listings"]["r:acme"]
    assert (state["after"], state["top"], state["since"]) == ("t3_p7", NOW + 80.0, NOW + 30.0)
    fake.posts.append(post(9))  # arrives meanwhile: the walk's pages do not shift (after= anchors on a post)
    settings.SOURCE_MAX_PAGES = 10
    reddit.forget_clients()
    poll_fresh(source)
    assert listing_requests(fake_server)[2]["query"]["after"] == "t3_p7"
    assert Mention.objects.count() == 7
    poll_fresh(source)
    assert Mention.objects.count() == 8 and Mention.objects.filter(external_id="t3_p9").exists()


def test_edited_and_deleted_posts_are_found_in_the_listing_or_on_re_reading(subreddit, fake_server):
    source, fake = subreddit
    polling.source_poll(source=source, force=True)
    fake.posts[2] = post(3, title="Acme post 3 (edited)", edited=float(NOW + 500))
    fake.posts[1] = post(2, selftext="[removed]", removed_by_category="moderator", author="[deleted]")
    result = poll_fresh(source)
    # p3 is still on the newest page (its edit shows there); p2 left the listing: re-read by id.
    assert listing_requests(fake_server, "/api/info")[-1]["query"]["id"] == "t3_p2"
    assert (result.updated, result.deleted) == (1, 1)
    edited = Mention.objects.get(external_id="t3_p3")
    assert edited.text.startswith("Acme post 3 (edited)") and edited.edited_at.timestamp() == NOW + 500
    assert Mention.objects.get(external_id="t3_p2").deleted_at is not None
    source.refresh_from_db()
    assert "t3_p2" not in source.cursor["recent"] and source.cursor["recent"]["t3_p3"][1] == NOW + 500
    # The same edit is not sent again.
    result = poll_fresh(source)
    assert (result.fetched, result.updated) == (0, 0)


def test_an_edit_that_drops_a_post_from_its_search_is_found_by_re_reading(subreddit, fake_server):
    _, fake = subreddit
    source = make_source(fake_server.url, subreddits=[], searches=["acme"])
    polling.source_poll(source=source, force=True)
    fake.posts[2] = post(3, title="Fixed now", selftext="all good", edited=float(NOW + 700))
    result = poll_fresh(source)
    # p2 is still on the search's page; p3 is not, and only a re-reading finds its edit.
    assert listing_requests(fake_server, "/api/info")[-1]["query"]["id"] == "t3_p3"
    assert result.updated == 1 and Mention.objects.get(external_id="t3_p3").text == "Fixed now\n\nall good"


def test_without_api_info_the_listings_still_flow(subreddit, fake_server):
    source, fake = subreddit
    del fake_server.routes[("GET", "/api/info")]
    polling.source_poll(source=source, force=True)
    fake.posts.append(post(4))
    result = poll_fresh(source)
    assert listing_requests(fake_server, "/api/info") and result.created == 1
    source.refresh_from_db()
    assert source.last_error == "" and source.consecutive_failures == 0


def test_a_removed_newest_post_neither_stalls_the_cursor_nor_is_kept_as_live(subreddit, fake_server):
    source, fake = subreddit
    polling.source_poll(source=source, force=True)
    fake.posts[2] = post(3, removed_by_category="deleted", author="[deleted]", selftext="[deleted]")
    fake.posts.append(post(4))
    poll_fresh(source)
    assert Mention.objects.get(external_id="t3_p3").deleted_at is not None
    assert Mention.objects.filter(external_id="t3_p4", deleted_at__isnull=True).exists()
    # A listing that still shows a removed post (search does) passes it on as a deletion, not an item.
    fake.posts.append(post(5, removed_by_category="moderator"))
    search = make_source(fake_server.url, subreddits=[], searches=["acme"], limit=10)
    polling.source_poll(source=search, force=True)
    assert not Mention.objects.filter(external_id="t3_p5").exists()


def test_search_defaults_to_the_watch_terms(fake_server, team_lead):
    fake = FakeReddit([post(1), post(2, title="Other thing")])
    fake_server.route("POST", "/api/v1/access_token", fake.token)
    fake_server.route("GET", "/search", fake.search)
    source = make_source(fake_server.url, subreddits=[])
    source.watch_terms.add(watch_term_add(actor=team_lead, term="Acme", kind="brand"))
    polling.source_poll(source=source, force=True)
    search = listing_requests(fake_server, "/search")[0]["query"]
    assert (search["q"], search["sort"], search["type"], search["raw_json"]) == ("Acme", "new", "link", "1")
    assert list(Mention.objects.values_list("external_id", flat=True)) == ["t3_p1"]


def test_429_backs_off_with_retry_after_and_keeps_the_cursor(subreddit):
    source, fake = subreddit
    fake.fail.append((429, {"Retry-After": "120"}, {"message": "Too Many Requests", "error": 429}))
    before = timezone.now()
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.last_error.startswith("RateLimited") and "429" in source.last_error
    assert (source.backoff_until - before).total_seconds() >= 119 and source.cursor == {}
    assert polling.source_poll(source=source) is None  # in back-off
    polling.source_poll(source=source, force=True)
    assert Mention.objects.count() == 2


def test_5xx_is_one_request_then_the_sources_back_off(subreddit, fake_server):
    source, fake = subreddit
    fake.fail.append((503, {}, "<html>upstream down</html>"))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.last_error.startswith("TransientError") and "503" in source.last_error
    assert len(listing_requests(fake_server)) == 1  # praw's own sleeping retries are off
    assert source.consecutive_failures == 1 and source.backoff_until > timezone.now()


def test_malformed_answers_are_source_errors_and_a_malformed_post_is_rejected(subreddit):
    source, fake = subreddit
    fake.fail.append((200, {}, {"kind": "t3", "data": {}}))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert "not a Listing" in source.last_error
    fake.fail.append((200, {}, "<html>not json"))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert "not JSON" in source.last_error and source.consecutive_failures == 2
    assert source.cursor == {} and not Mention.objects.exists()
    fake.posts.append(post(9, created_utc="yesterday"))
    result = polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert (result.created, result.rejected) == (1, 1) and "skipped (malformed)" in source.last_error


def test_refused_credentials_are_a_clear_auth_error(subreddit, fake_server):
    source, fake = subreddit
    source.set_credentials({"client_id": "app-id", "client_secret": "0ld-s3cret"})
    source.save()
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.last_error.startswith("AuthError") and "401" in source.last_error
    assert "0ld-s3cret" not in source.last_error and "access_token" in source.last_error
    fake.token_fail.append((200, {}, {"error": "invalid_grant"}))
    source.set_credentials({"client_id": "app-id", "client_secret": "app-s3cret"})
    source.save()
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert "refused the app credentials: invalid_grant" in source.last_error
    polling.source_poll(source=source, force=True)
    assert Mention.objects.count() == 2
    # A revoked token on the API: an auth failure now, a new token on the next poll.
    fake.tokens.clear()
    fake.posts.append(post(4))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.last_error.startswith("AuthError") and "/r/acme/new" in source.last_error
    polling.source_poll(source=source, force=True)
    assert Mention.objects.count() == 3


def test_missing_credentials_and_bad_config():
    source = Source.objects.create(name="r", kind=SourceKind.REDDIT, config={"subreddits": ["acme"]})
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.last_error == "AuthError: Reddit needs the client_id and client_secret credentials"
    connector = get_connector(SourceKind.REDDIT)
    assert connector.credential_fields == ("client_id", "client_secret")
    assert connector.clean_config({"subreddits": ["r/acme", "acme+acmeSupport"]})["limit"] == 100
    bad_configs = (
        {"subreddits": "acme"},
        {"subreddits": ["acme/new?x=1"]},
        {"limit": 500},
        {"oauth_url": "ftp://x"},
        {"user_agent": "x"},
    )
    for bad in bad_configs:
        with pytest.raises(ValidationError):
            connector.clean_config(bad)


def test_every_request_waits_for_the_sources_rate_limit(subreddit, fake_server, monkeypatch):
    source, fake = subreddit
    # The token, the listing.
    assert_requests_wait_for_the_rate_limit(monkeypatch, reddit, source, fake_server, requests=2)


def test_a_post_served_twice_or_replayed_is_stored_once(subreddit):
    source, fake = subreddit
    twice = {"kind": "Listing", "data": {"after": None, "children": [post(4), post(4), post(3)]}}
    assert_served_twice_or_replayed_is_stored_once(
        source, fake.fail, arrive=lambda: fake.posts.append(post(4)), twice=twice, new_id="t3_p4"
    )


def test_a_used_up_rate_limit_window_backs_off_instead_of_sleeping(subreddit):
    source, fake = subreddit
    polling.source_poll(source=source, force=True)
    fake.posts += [post(n) for n in range(4, 9)]
    window = {"x-ratelimit-remaining": "0", "x-ratelimit-used": "100", "x-ratelimit-reset": "300"}
    first = fake._answer

    def used_up(request, posts):
        status, headers, body = first(request, posts)
        return status, {**headers, **window}, body

    fake._answer = used_up
    started = time.monotonic()
    poll_fresh(source)
    assert time.monotonic() - started < 5
    source.refresh_from_db()
    assert source.last_error.startswith("RateLimited: Reddit's rate-limit window is used up")
    assert (source.backoff_until - source.last_error_at).total_seconds() >= 290
    # The first page of the walk was recorded; the walk resumes after it once the window has reset.
    assert source.cursor["listings"]["r:acme"]["after"] == "t3_p7" and Mention.objects.count() == 4
