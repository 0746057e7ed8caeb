"""Mastodon streaming against a fake WebSocket streaming API and a fake REST instance (the backfill)."""

import threading

import pytest

from incidents.listening.models import Mention
from incidents.listening.services import watch_term_add
from incidents.listening.sources import polling, stream
from incidents.listening.sources.connectors.mastodon_stream import MastodonStreamConnector, stream_tags
from incidents.listening.sources.fakes.mastodon_streaming import FakeMastodonStreaming, stream_message
from incidents.listening.sources.models import Source, SourceKind
from incidents.listening.sources.tests.test_mastodon import Timeline, status

pytestmark = pytest.mark.django_db


def local(fake_server, n, **extra):
    """A status local to the fake instance (its URI on the instance's host)."""
    sid = str(1000 + n)
    return status(n, uri=f"{fake_server.url}/users/alice/statuses/{sid}", **extra)


@pytest.fixture
def instance(fake_server):
    timeline = Timeline(fake_server.url, [local(fake_server, n) for n in range(1, 4)])
    fake_server.route("GET", "/api/v1/timelines/tag/acme", timeline)
    return timeline


def make_source(fake_server, streaming, **config):
    return Source.objects.create(
        name="Mastodon stream",
        kind=SourceKind.MASTODON_STREAM,
        config={
            "instance_url": fake_server.url,
            "streaming_url": streaming.url,
            "hashtags": ["#Acme"],
            "batch_seconds": 0.05,
            **config,
        },
        max_requests_per_minute=600,
    )


def ext(fake_server, n):
    return f"{fake_server.url}/users/alice/statuses/{1000 + n}"


def rest_min_ids(fake_server):
    return [r["query"].get("min_id") for r in fake_server.requests if r["path"].startswith("/api/v1/timelines/tag/")]


def test_stream_updates_edits_deletes_and_backfills_the_gap_on_reconnect(instance, fake_server):
    edited = local(fake_server, 2, content="<p>Acme fixed it</p>", edited_at="2026-11-21T10:00:00.000Z")
    first = [
        stream_message("update", local(fake_server, 4)),
        stream_message("status.update", edited),
        stream_message("delete", "1003"),
        stream_message("notification", "{}"),  # not a hashtag event: ignored
    ]
    second = [stream_message("update", local(fake_server, 6))]

    def on_connect(index):
        if index == 1:  # posted while we were disconnected: only the REST timeline has it
            instance.statuses.append(local(fake_server, 5))

    with FakeMastodonStreaming([first, second], drop_first=True, on_connect=on_connect) as streaming:
        source = make_source(fake_server, streaming)
        stats = stream.StreamStats()
        stream.run_source(source.pk, stop=threading.Event(), stats=stats, max_failures=2)
    assert streaming.connected == 2
    assert streaming.requests[0]["stream"] == "hashtag" and streaming.requests[0]["tag"] == "acme"
    # First connect: the newest page; reconnect: from the min_id the stream reached (1004).
    assert rest_min_ids(fake_server) == [None, "1004"]
    stored = {m.external_id: m for m in Mention.objects.all()}
    assert set(stored) == {ext(fake_server, n) for n in range(1, 7)}
    assert stored[ext(fake_server, 2)].text == "Acme fixed it"
    assert stored[ext(fake_server, 2)].edited_at is not None
    assert stored[ext(fake_server, 3)].deleted_at is not None
    assert stored[ext(fake_server, 1)].deleted_at is None
    assert Mention.objects.filter(external_id=ext(fake_server, 4)).count() == 1
    source.refresh_from_db()
    assert source.cursor == {"timelines": {"tag:acme": {"min_id": "1006"}}}
    assert "closed the stream" in source.last_error


def test_stop_ends_a_held_stream_and_records_its_last_batch(instance, fake_server):
    stop = threading.Event()
    with FakeMastodonStreaming([[stream_message("update", local(fake_server, 4))]], hold=True) as streaming:
        source = make_source(fake_server, streaming)
        timer = threading.Timer(1.0, stop.set)
        timer.start()
        stream.run_source(source.pk, stop=stop, max_failures=1)
    source.refresh_from_db()
    assert source.cursor == {"timelines": {"tag:acme": {"min_id": "1004"}}}
    assert source.consecutive_failures == 0 and Mention.objects.count() == 4


def test_restart_resumes_from_the_stored_min_id_and_resolves_deletes_of_stored_statuses(instance, fake_server):
    with FakeMastodonStreaming([[]]) as streaming:
        source = make_source(fake_server, streaming)
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
    assert Mention.objects.count() == 3
    instance.statuses.append(local(fake_server, 4))
    # A new process: nothing in memory; the delete of 1002 (stored by the first run) is resolved from the database.
    with FakeMastodonStreaming([[stream_message("delete", "1002")]]) as streaming:
        Source.objects.filter(pk=source.pk).update(config={**source.config, "streaming_url": streaming.url})
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
    assert rest_min_ids(fake_server) == [None, "1003"]
    assert Mention.objects.count() == 4
    assert Mention.objects.get(external_id=ext(fake_server, 2)).deleted_at is not None


@pytest.mark.parametrize("status_code", [401, 404])
def test_an_instance_refusing_streaming_is_a_clear_source_error(instance, fake_server, status_code):
    with FakeMastodonStreaming() as streaming:
        streaming.reject_status = status_code
        source = make_source(fake_server, streaming)
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
    source.refresh_from_db()
    assert source.last_error.startswith("StreamingRefused") and str(status_code) in source.last_error
    assert "polling “mastodon” kind" in source.last_error
    assert (source.backoff_until - source.last_error_at).total_seconds() >= 599
    assert not Mention.objects.exists() and source.cursor == {}


def test_429_and_5xx_on_the_handshake_back_off(instance, fake_server):
    with FakeMastodonStreaming() as streaming:
        streaming.reject_status = 429
        streaming.reject_headers = {"Retry-After": "120"}
        source = make_source(fake_server, streaming)
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
        source.refresh_from_db()
        assert "RateLimited" in source.last_error
        assert (source.backoff_until - source.last_error_at).total_seconds() >= 119
        streaming.reject_status = 503
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
    source.refresh_from_db()
    assert "TransientError" in source.last_error and "503" in source.last_error


def test_backfill_429_is_recorded_and_nothing_moves(instance, fake_server):
    instance.fail.append((429, {"Retry-After": "60"}, {"error": "Too many requests"}))
    with FakeMastodonStreaming([[stream_message("update", local(fake_server, 4))]]) as streaming:
        source = make_source(fake_server, streaming)
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
    source.refresh_from_db()
    assert "429" in source.last_error and source.cursor == {} and not Mention.objects.exists()


def test_malformed_messages_are_skipped_and_counted(instance, fake_server):
    messages = [
        "{not json",
        "[]",
        {"stream": ["hashtag", "acme"], "event": "update", "payload": "{broken"},
        stream_message("update", {"id": "9"}),  # no account
        {"stream": ["hashtag", "acme"], "event": "delete", "payload": None},
        stream_message("update", local(fake_server, 7)),
    ]
    with FakeMastodonStreaming([messages]) as streaming:
        source = make_source(fake_server, streaming)
        stats = stream.StreamStats()
        stream.run_source(source.pk, stop=threading.Event(), stats=stats, max_failures=1)
    assert stats.malformed == 5
    assert Mention.objects.filter(external_id=ext(fake_server, 7)).exists() and Mention.objects.count() == 4


def test_token_several_hashtags_and_listen_kinds(fake_server, team_lead):
    timeline = Timeline(fake_server.url, [local(fake_server, 1)], token="tok")
    fake_server.route("GET", "/api/v1/timelines/tag/acme", timeline)
    fake_server.route("GET", "/api/v1/timelines/tag/globex", Timeline(fake_server.url, [], token="tok"))
    with FakeMastodonStreaming([[]]) as streaming:
        source = make_source(fake_server, streaming, hashtags=["Globex", "#acme", "two words"])
        source.set_credentials({"access_token": "tok"})
        source.save()
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
    assert streaming.requests[0]["authorization"] == "Bearer tok"
    assert streaming.requests[0]["tag"] == "acme"
    assert streaming.subscriptions == [{"type": "subscribe", "stream": "hashtag", "tag": "globex"}]
    assert Mention.objects.count() == 1
    # Streamed by manage.py listen, never by the poller.
    assert SourceKind.MASTODON_STREAM in stream.stream_kinds()
    assert SourceKind.MASTODON_STREAM in polling.streaming_kinds()
    # Without hashtags: the one-word watch terms.
    watch_term_add(actor=team_lead, term="#Initech", kind="brand")
    watch_term_add(actor=team_lead, term="acme phone", kind="brand")
    bare = Source.objects.create(name="bare", kind=SourceKind.MASTODON_STREAM, config={})
    assert stream_tags(bare, MastodonStreamConnector().clean_config({})) == ["initech"]


def test_config_validation():
    from django.core.exceptions import ValidationError

    connector = MastodonStreamConnector()
    cleaned = connector.clean_config({"instance_url": "https://m.example"})
    assert cleaned["backfill_pages"] == 20 and cleaned["streaming_url"] == ""
    for bad in (
        {"instance_url": "m.example"},
        {"instance_url": "wss://m.example"},
        {"streaming_url": "ftp://s.example"},
        {"hashtags": "acme"},
        {"batch_seconds": 0},
        {"limit": "x"},
    ):
        with pytest.raises(ValidationError):
            connector.clean_config(bad)
    from incidents.listening.sources.connectors.mastodon_stream import streaming_url

    assert streaming_url({"instance_url": "https://m.example/", "streaming_url": ""}) == "wss://m.example"
    assert streaming_url({"instance_url": "https://m.example", "streaming_url": "wss://s.m.example"}) == (
        "wss://s.m.example"
    )


def test_a_missing_env_credential_is_recorded_on_the_source(instance, fake_server, monkeypatch):
    monkeypatch.delenv("MASTODON_TOKEN_MISSING", raising=False)
    with FakeMastodonStreaming([[]]) as streaming:
        source = make_source(fake_server, streaming)
        source.set_credentials({"access_token": "env:MASTODON_TOKEN_MISSING"})
        source.save()
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
    source.refresh_from_db()
    assert source.last_error.startswith("AuthError") and "MASTODON_TOKEN_MISSING" in source.last_error
    assert streaming.requests == []


@pytest.mark.django_db(transaction=True)
def test_listen_runs_a_mastodon_stream_source_next_to_the_others(instance, fake_server):
    import time

    running, stats = {}, stream.StreamStats()
    with FakeMastodonStreaming([[stream_message("update", local(fake_server, 4))]], hold=True) as streaming:
        source = make_source(fake_server, streaming)
        try:
            stream.reconcile(running, stats=stats)
            assert set(running) == {source.pk}
            deadline = time.monotonic() + 10
            while Source.objects.get(pk=source.pk).cursor != {"timelines": {"tag:acme": {"min_id": "1004"}}}:
                assert time.monotonic() < deadline, "timed out"
                time.sleep(0.05)
        finally:
            for run in running.values():
                run.stop.set()
                run.thread.join(timeout=30)
    assert Mention.objects.count() == 4 and stats.matched >= 1
