"""Mastodon connector against a fake instance: tag timeline and search with min_id paging and Link headers."""

import pytest

from incidents.listening.models import Mention
from incidents.listening.sources import polling
from incidents.listening.sources.models import Source, SourceKind

pytestmark = pytest.mark.django_db


def status(n, **extra):
    return {
        "id": str(1000 + n),
        "uri": f"https://mastodon.example/users/alice/statuses/{1000 + n}",
        "url": f"https://mastodon.example/@alice/{1000 + n}",
        "created_at": f"2026-11-20T10:{n:02d}:00.000Z",
        "edited_at": None,
        "language": "en",
        "content": f"<p>Acme broke #{n} &amp; more</p>",
        "spoiler_text": "",
        "reblog": None,
        "account": {"id": "1", "acct": "alice@mastodon.example", "followers_count": 42},
        **extra,
    }


class Timeline:
    """A tag timeline as Mastodon serves it: newest first; max_id / since_id / min_id; Link next/prev."""

    def __init__(self, base, statuses, token=None):
        self.base = base
        self.statuses = statuses
        self.token = token
        self.fail = []

    def __call__(self, request):
        if self.fail:
            return self.fail.pop(0)
        if self.token and request["headers"].get("Authorization") != f"Bearer {self.token}":
            return 401, {}, {"error": "The access token is invalid"}
        q = request["query"]
        limit = int(q.get("limit", 20))
        ordered = sorted(self.statuses, key=lambda s: -int(s["id"]))
        if "max_id" in q:
            ordered = [s for s in ordered if int(s["id"]) < int(q["max_id"])]
        if "since_id" in q:
            ordered = [s for s in ordered if int(s["id"]) > int(q["since_id"])]
        if "min_id" in q:
            # The statuses immediately newer than min_id: the oldest `limit` of them, served newest first.
            newer = sorted((s for s in ordered if int(s["id"]) > int(q["min_id"])), key=lambda s: int(s["id"]))
            page = sorted(newer[:limit], key=lambda s: -int(s["id"]))
        else:
            page = ordered[:limit]
        headers = {}
        if page:
            path = request["path"]
            headers["Link"] = (
                f'<{self.base}{path}?max_id={page[-1]["id"]}>; rel="next", '
                f'<{self.base}{path}?min_id={page[0]["id"]}>; rel="prev"'
            )
        body = {"accounts": [], "hashtags": [], "statuses": page} if request["path"] == "/api/v2/search" else page
        return 200, headers, body


@pytest.fixture
def instance(fake_server):
    timeline = Timeline(fake_server.url, [status(n) for n in range(1, 4)])
    fake_server.route("GET", "/api/v1/timelines/tag/acme", timeline)
    source = Source.objects.create(
        name="Mastodon #acme",
        kind=SourceKind.MASTODON,
        config={"instance_url": fake_server.url, "hashtags": ["#Acme"], "limit": 2},
        max_requests_per_minute=600,
    )
    return source, timeline


def test_first_poll_takes_the_newest_page_then_pages_forward_with_min_id(instance, fake_server):
    source, timeline = instance
    polling.source_poll(source=source, force=True)
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == [
        "https://mastodon.example/users/alice/statuses/1002",
        "https://mastodon.example/users/alice/statuses/1003",
    ]
    source.refresh_from_db()
    assert source.cursor == {"timelines": {"tag:acme": {"min_id": "1003"}}}
    timeline.statuses += [status(n) for n in range(4, 9)]
    polling.source_poll(source=source, force=True)
    # 5 newer statuses, pages of 2 → three requests after the first, each from the previous min_id.
    assert [r["query"].get("min_id") for r in fake_server.requests] == [None, "1003", "1005", "1007"]
    assert Mention.objects.count() == 7
    m = Mention.objects.get(external_id__endswith="/1004")
    assert (m.text, m.author, m.audience, m.platform) == (
        "Acme broke #4 & more",
        "alice@mastodon.example",
        42,
        "mastodon",
    )


def test_restart_resumes_from_the_stored_min_id_without_duplicates(instance, fake_server):
    source, timeline = instance
    polling.source_poll(source=source, force=True)
    timeline.statuses.append(status(4))
    fresh = Source.objects.get(pk=source.pk)  # a new process reads the cursor from the database
    result = polling.source_poll(source=fresh, force=True)
    assert fake_server.requests[-1]["query"]["min_id"] == "1003"
    assert (result.created, result.fetched) == (1, 1)
    assert Mention.objects.count() == 3


def test_edit_updates_and_boost_maps_to_original(instance):
    source, timeline = instance
    polling.source_poll(source=source, force=True)
    timeline.statuses.append(status(5, content="<p>Acme fixed it</p>", edited_at="2026-11-21T10:00:00Z", id="1009"))
    boost = status(
        6,
        id="1010",
        uri="https://other.example/boost/1",
        reblog=status(3, content="<p>Acme broke #3, edited</p>", edited_at="2026-11-22T00:00:00Z"),
    )
    timeline.statuses.append(boost)
    polling.source_poll(source=source, force=True)
    original = Mention.objects.get(external_id__endswith="/1003")
    assert original.text == "Acme broke #3, edited"
    assert not Mention.objects.filter(external_id="https://other.example/boost/1").exists()


def test_expired_token_is_an_auth_failure(fake_server):
    timeline = Timeline(fake_server.url, [status(1)], token="good")
    fake_server.route("GET", "/api/v2/search", timeline)
    source = Source(
        name="search", kind=SourceKind.MASTODON, config={"instance_url": fake_server.url, "searches": ["acme"]}
    )
    source.set_credentials({"access_token": "tok-0ld-s3cret"})
    source.save()
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.last_error.startswith("AuthError") and "401" in source.last_error
    assert "tok-0ld-s3cret" not in source.last_error  # never the credential
    source.set_credentials({"access_token": "good"})
    source.save()
    polling.source_poll(source=source, force=True)
    assert Mention.objects.count() == 1
    assert fake_server.requests[-1]["query"] == {"q": "acme", "type": "statuses", "limit": "40"}


def test_429_and_garbage(instance):
    source, timeline = instance
    timeline.fail.append((429, {"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}, {"error": "Too many requests"}))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert "429" in source.last_error
    # An HTTP-date Retry-After is honoured (capped at a day).
    assert (source.backoff_until - source.last_error_at).total_seconds() >= 86399
    timeline.fail.append((200, {}, {"not": "a list"}))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert "list of statuses" in source.last_error and source.cursor == {}
