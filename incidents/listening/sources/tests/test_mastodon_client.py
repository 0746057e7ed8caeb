"""Mastodon connector on Mastodon.py: only the requests we ask for, its rate-limit path and errors as our typed errors."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from incidents.listening.models import Mention
from incidents.listening.sources import polling
from incidents.listening.sources.connectors import base
from incidents.listening.sources.connectors.base import (
    USER_AGENT,
    AuthError,
    BadPayload,
    RateLimited,
    TransientError,
    get_connector,
)
from incidents.listening.sources.models import Source, SourceKind
from incidents.listening.sources.tests.test_mastodon import Timeline, status

pytestmark = pytest.mark.django_db

connector = get_connector(SourceKind.MASTODON)


def make_source(fake_server, token=None, **config):
    source = Source(
        name="Mastodon",
        kind=SourceKind.MASTODON,
        config={"instance_url": fake_server.url, "limit": 2, **config},
        max_requests_per_minute=600,
    )
    if token:
        source.set_credentials({"access_token": token})
    source.save()
    return source


@pytest.fixture
def tag(fake_server):
    timeline = Timeline(fake_server.url, [status(n) for n in range(1, 4)])
    fake_server.route("GET", "/api/v1/timelines/tag/acme", timeline)
    return timeline


def test_only_the_timeline_and_search_requests_with_our_user_agent_and_token(tag, fake_server):
    search = Timeline(fake_server.url, [status(n) for n in range(1, 4)], token="tok")
    fake_server.route("GET", "/api/v2/search", search)
    source = make_source(fake_server, token="tok", hashtags=["Acme"], searches=["acme"])
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.cursor == {"timelines": {"tag:acme": {"min_id": "1003"}, "search:acme": {"min_id": "1003"}}}
    search.statuses.append(status(4))
    tag.statuses.append(status(4))
    polling.source_poll(source=source, force=True)
    # No /api/v1/instance or /api/v2/instance look-up (Mastodon.py makes them for hashtags and min_id searches).
    assert [(r["path"], r["query"]) for r in fake_server.requests] == [
        ("/api/v1/timelines/tag/acme", {"limit": "2"}),
        ("/api/v2/search", {"q": "acme", "type": "statuses", "limit": "2"}),
        ("/api/v1/timelines/tag/acme", {"limit": "2", "min_id": "1003"}),
        ("/api/v2/search", {"q": "acme", "type": "statuses", "limit": "2", "min_id": "1003"}),
    ]
    assert {r["headers"]["User-Agent"] for r in fake_server.requests} == {USER_AGENT}
    assert {r["headers"]["Authorization"] for r in fake_server.requests} == {"Bearer tok"}
    # 1002 and 1003 (the newest page), then 1004, found by both timelines: one mention each.
    assert Mention.objects.count() == 3


def test_a_search_without_link_header_moves_to_its_newest_status(fake_server):
    fake_server.route(
        "GET", "/api/v2/search", lambda r: (200, {}, {"accounts": [], "statuses": [status(7), status(5)]})
    )
    source = make_source(fake_server, searches=["acme"])
    result = connector.poll(source, {})
    assert result.new_cursor == {"timelines": {"search:acme": {"min_id": "1007"}}}
    assert [i["external_id"][-4:] for i in result.items] == ["1007", "1005"]


def test_a_hashtag_with_url_characters_stays_one_path_segment(fake_server):
    fake_server.route("GET", "/api/v1/timelines/tag/a%2Fb%3Fc", lambda r: (200, {}, [status(1)]))
    source = make_source(fake_server, hashtags=["#A/b?c"])
    assert len(connector.poll(source, {}).items) == 1
    assert fake_server.requests[0]["path"] == "/api/v1/timelines/tag/a%2Fb%3Fc"


def test_a_token_naming_a_file_is_sent_as_given_never_the_file(tmp_path, fake_server):
    secret = tmp_path / "secret.txt"
    secret.write_text("contents-of-a-server-file\n")
    fake_server.route("GET", "/api/v1/timelines/tag/acme", lambda r: (200, {}, []))
    source = make_source(fake_server, token=str(secret), hashtags=["acme"])
    connector.poll(source, {})
    assert fake_server.requests[0]["headers"]["Authorization"] == f"Bearer {secret}"


# --- Mastodon.py's rate-limit path ------------------------------------------------------------


def test_429_with_retry_after_seconds(tag, fake_server):
    tag.fail.append((429, {"Retry-After": "120"}, {"error": "Too many requests"}))
    with pytest.raises(RateLimited) as caught:
        connector.poll(make_source(fake_server, hashtags=["acme"]), {})
    assert caught.value.retry_after == 120.0
    assert "HTTP 429 from" in str(caught.value)


def test_429_with_x_ratelimit_reset_only_waits_until_the_reset_without_sleeping(tag, fake_server):
    reset = (datetime.now(UTC) + timedelta(seconds=300)).isoformat().replace("+00:00", "Z")
    tag.fail.append((429, {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}, {}))
    source = make_source(fake_server, hashtags=["acme"])
    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        connector.poll(source, {})
    assert time.monotonic() - started < 5  # "throw": Mastodon.py does not sleep the worker until the reset
    assert 290 <= caught.value.retry_after <= 301
    tag.fail.append((429, {"X-RateLimit-Reset": reset}, {}))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.last_error.startswith("RateLimited") and source.cursor == {}
    assert (source.backoff_until - source.last_error_at).total_seconds() >= 290


def test_429_with_a_past_reset_has_no_hint(tag, fake_server):
    reset = (datetime.now(UTC) - timedelta(seconds=30)).isoformat()
    tag.fail.append((429, {"X-RateLimit-Reset": reset}, {}))
    with pytest.raises(RateLimited) as caught:
        connector.poll(make_source(fake_server, hashtags=["acme"]), {})
    assert caught.value.retry_after is None


def test_an_unreadable_x_ratelimit_reset_does_not_refuse_a_good_answer(fake_server):
    fake_server.route(
        "GET", "/api/v1/timelines/tag/acme", lambda r: (200, {"X-RateLimit-Reset": "soon-ish"}, [status(1)])
    )
    result = connector.poll(make_source(fake_server, hashtags=["acme"]), {})
    assert [i["external_id"][-4:] for i in result.items] == ["1001"]


def test_the_source_rate_limit_counts_every_request_and_stays_a_rate_limit(tag, fake_server, monkeypatch):
    calls = []

    def wait(key, per_minute, **kwargs):
        calls.append((key, per_minute))
        if len(calls) == 2:
            raise RateLimited("Local rate limit reached", retry_after=42)

    monkeypatch.setattr(base.rate_limiter, "wait", wait)
    fake_server.route("GET", "/api/v1/timelines/tag/other", lambda r: (200, {}, []))
    source = make_source(fake_server, hashtags=["acme", "other"])
    with pytest.raises(RateLimited) as caught:
        connector.poll(source, {})
    assert caught.value.retry_after == 42  # not wrapped into a network error by Mastodon.py
    assert calls == [(source.pk, 600), (source.pk, 600)]
    assert len(fake_server.requests) == 1


# --- other statuses, the network, malformed answers -------------------------------------------


@pytest.mark.parametrize("code", [401, 403])
def test_an_expired_or_refused_token_on_a_hashtag_timeline_is_an_auth_error(tag, fake_server, code, capsys):
    tag.fail.append((code, {}, {"error": "The access token was revoked"}))
    source = make_source(fake_server, token="tok-s3cret", hashtags=["acme"])
    with pytest.raises(AuthError) as caught:
        connector.poll(source, {})
    assert f"HTTP {code} from {fake_server.url}/api/v1/timelines/tag/acme" in str(caught.value)
    assert "tok-s3cret" not in str(caught.value)
    assert "tok-s3cret" not in "".join(capsys.readouterr())  # Mastodon.py's debug prints stay off


def test_5xx_is_transient_with_its_retry_after(tag, fake_server):
    tag.fail.append((503, {"Retry-After": "30"}, "<html>down</html>"))
    with pytest.raises(TransientError) as caught:
        connector.poll(make_source(fake_server, hashtags=["acme"]), {})
    assert caught.value.retry_after == 30.0 and "HTTP 503" in str(caught.value)


def test_404_is_a_bad_payload(fake_server):
    with pytest.raises(BadPayload, match="HTTP 404"):
        connector.poll(make_source(fake_server, hashtags=["nowhere"]), {})


def test_an_unreachable_instance_is_transient(fake_server):
    source = make_source(fake_server, hashtags=["acme"])
    source.config = {**source.config, "instance_url": "http://127.0.0.1:9"}
    with pytest.raises(TransientError, match=r"Cannot reach http://127\.0\.0\.1:9/api/v1/timelines/tag/acme"):
        connector.poll(source, {})


def test_a_slow_instance_times_out_as_transient(fake_server, settings):
    settings.SOURCE_HTTP_TIMEOUT_SECONDS = 0.3

    def slow(request):
        time.sleep(1.0)
        return 200, {}, []

    fake_server.route("GET", "/api/v1/timelines/tag/acme", slow)
    with pytest.raises(TransientError, match=r"^Timeout: "):
        connector.poll(make_source(fake_server, hashtags=["acme"]), {})


def test_a_malformed_status_list_keeps_the_good_statuses(fake_server):
    body = [status(3), 7, "x", None, {"id": "1002"}, {"id": None, "account": {}}, status(1)]
    fake_server.route("GET", "/api/v1/timelines/tag/acme", lambda r: (200, {}, body))
    result = connector.poll(make_source(fake_server, hashtags=["acme"]), {})
    assert [i["external_id"][-4:] for i in result.items] == ["1003", "1001"]
    assert result.new_cursor == {"timelines": {"tag:acme": {"min_id": "1003"}}}


@pytest.mark.parametrize(
    ("path", "config", "answer", "error"),
    [
        ("/api/v1/timelines/tag/acme", {"hashtags": ["acme"]}, "<html>maintenance</html>", "not JSON"),
        ("/api/v1/timelines/tag/acme", {"hashtags": ["acme"]}, {"error": "nope"}, "list of statuses"),
        ("/api/v2/search", {"searches": ["acme"]}, {"accounts": []}, "list of statuses"),
        ("/api/v2/search", {"searches": ["acme"]}, [status(1)], "wrong shape"),
    ],
)
def test_malformed_answers_are_bad_payloads_and_the_cursor_stays(fake_server, path, config, answer, error):
    fake_server.route("GET", path, lambda r: (200, {}, answer))
    source = make_source(fake_server, **config)
    with pytest.raises(BadPayload, match=error):
        connector.poll(source, {})
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.last_error.startswith("BadPayload") and source.cursor == {}
