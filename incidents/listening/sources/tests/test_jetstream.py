"""Bluesky Jetstream: mapping, local filtering, and streaming from a real local WebSocket server."""

import threading

import pytest

from incidents.listening.models import Mention
from incidents.listening.services import watch_term_add
from incidents.listening.sources import stream
from incidents.listening.sources.connectors.base import BadPayload
from incidents.listening.sources.connectors.bluesky import TermMatcher, map_event, subscribe_url
from incidents.listening.sources.fakes.jetstream import FakeJetstream, post_event
from incidents.listening.sources.models import Source, SourceKind

DID = "did:plc:abc123"
T0 = 1_764_000_000_000_000


def events():
    return [
        post_event(DID, "r1", T0 + 1, text="Acme broke my phone"),
        post_event(DID, "r2", T0 + 2, text="nothing to see"),
        post_event(DID, "r1", T0 + 3, text="ACME broke my phone (edited)", operation="update"),
        "{not json",
        {"did": DID, "time_us": T0 + 4, "kind": "identity", "identity": {}},
        post_event(DID, "r3", T0 + 5, text="acme is lying"),
        post_event(DID, "r3", T0 + 6, operation="delete"),
        post_event(DID, "r4", T0 + 7, text="acme again"),
    ]


@pytest.fixture
def terms(db, team_lead):
    watch_term_add(actor=team_lead, term="acme", kind="brand")


def make_source(url, **config):
    return Source.objects.create(
        name="Bluesky", kind=SourceKind.BLUESKY_JETSTREAM, config={"base_url": url, "batch_seconds": 0.05, **config}
    )


def test_matcher_is_case_insensitive_and_compiled_once():
    matcher = TermMatcher(["Acme", "acme phone", " "])
    assert matcher.matches("I hate ACME")
    assert not matcher.matches("I hate acne")
    assert not TermMatcher([]).matches("acme")


def test_map_event_shapes():
    matcher = TermMatcher(["acme"])
    kind, item = map_event(post_event(DID, "r1", T0, text="acme"), matcher)
    assert kind == "item"
    assert item["external_id"] == f"at://{DID}/app.bsky.feed.post/r1"
    assert item["url"] == f"https://bsky.app/profile/{DID}/post/r1"
    assert item["platform"] == "bluesky" and "edited_at" not in item
    assert "edited_at" in map_event(post_event(DID, "r1", T0, text="acme", operation="update"), matcher)[1]
    assert map_event(post_event(DID, "r1", T0, operation="delete"), matcher) == (
        "delete",
        f"at://{DID}/app.bsky.feed.post/r1",
    )
    assert map_event(post_event(DID, "r1", T0, text="other"), matcher) is None
    for bad in (
        [],
        {"kind": "commit", "did": DID},
        {"kind": "commit", "did": DID, "commit": {"collection": "app.bsky.feed.post"}},
    ):
        with pytest.raises(BadPayload):
            map_event(bad, matcher)


def test_subscribe_url_speaks_jetstream():
    assert subscribe_url("ws://h:1/", 42) == "ws://h:1/subscribe?wantedCollections=app.bsky.feed.post&cursor=42"
    assert "cursor" not in subscribe_url("ws://h:1", None)


def test_stream_ingests_matches_edits_and_deletions_with_cursor(terms):
    with FakeJetstream(events()) as fake:
        source = make_source(fake.url)
        stats = stream.StreamStats()
        stream.run_source(source.pk, stop=threading.Event(), stats=stats, max_failures=1)
    source.refresh_from_db()
    by_id = {m.external_id.rsplit("/", 1)[1]: m for m in Mention.objects.all()}
    assert set(by_id) == {"r1", "r3", "r4"}
    assert by_id["r1"].text == "ACME broke my phone (edited)"
    assert by_id["r3"].deleted_at is not None and by_id["r1"].deleted_at is None
    assert source.cursor == {"time_us": T0 + 7}
    assert stats.events == 8 and stats.malformed == 1
    # The server closing the stream is a recorded failure: the health shows it, the cursor stays.
    assert source.consecutive_failures == 1 and "closed" in source.last_error
    assert "cursor" not in fake.requests[0]


def test_restart_resumes_from_rewound_cursor_without_duplicates(terms):
    with FakeJetstream(events()) as fake:
        source = make_source(fake.url, rewind_seconds=5)
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
        count = Mention.objects.count()
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
    assert fake.requests[1]["cursor"] == str(T0 + 7 - 5_000_000)
    assert fake.requests[1]["wantedCollections"] == "app.bsky.feed.post"
    assert Mention.objects.count() == count == 3


def test_resume_gets_only_events_after_cursor(terms):
    with FakeJetstream(events()) as fake:
        source = make_source(fake.url, rewind_seconds=0)
        Source.objects.filter(pk=source.pk).update(cursor={"time_us": T0 + 6})
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
    assert fake.requests[0]["cursor"] == str(T0 + 6)
    assert [m.external_id.rsplit("/", 1)[1] for m in Mention.objects.all()] == ["r4"]


def test_429_on_handshake_backs_off_at_least_retry_after(terms):
    with FakeJetstream(events()) as fake:
        fake.reject_status = 429
        fake.reject_headers = {"Retry-After": "120"}
        source = make_source(fake.url)
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
    source.refresh_from_db()
    assert "RateLimited" in source.last_error
    assert (source.backoff_until - source.last_polled_at).total_seconds() >= 120
    assert stream.reconnect_delay(1, 120) == 120
    assert not Mention.objects.exists()


def test_5xx_and_unreachable_are_transient(terms):
    with FakeJetstream(events()) as fake:
        fake.reject_status = 503
        source = make_source(fake.url)
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
    source.refresh_from_db()
    assert "TransientError" in source.last_error and "503" in source.last_error
    assert source.cursor == {}


def test_stop_event_ends_a_held_stream_and_records_the_last_batch(terms):
    stop = threading.Event()
    with FakeJetstream(events(), close_after=False) as fake:
        source = make_source(fake.url)
        thread = threading.Timer(1.0, stop.set)
        thread.start()
        stream.run_source(source.pk, stop=stop, max_failures=1)
    source.refresh_from_db()
    assert source.cursor == {"time_us": T0 + 7}
    assert source.consecutive_failures == 0


def test_server_drop_reconnects_from_cursor_without_gaps_or_duplicates(terms):
    with FakeJetstream(events(), drop_after=3) as fake:
        source = make_source(fake.url, rewind_seconds=0)
        stream.run_source(source.pk, stop=threading.Event(), max_failures=2)
    assert fake.connections == 2
    # The second connection resumes from the last event recorded before the drop.
    assert fake.requests[1]["cursor"] == str(T0 + 3)
    by_id = {m.external_id.rsplit("/", 1)[1]: m for m in Mention.objects.all()}
    assert sorted(by_id) == ["r1", "r3", "r4"]
    assert Mention.objects.filter(external_id__endswith="/r1").count() == 1
    assert by_id["r1"].text == "ACME broke my phone (edited)"
    assert by_id["r3"].deleted_at is not None


def test_malformed_frames_are_skipped_and_counted(terms):
    bad = [
        "{not json",
        "[]",
        '{"kind": "commit", "did": "x", "time_us": 5}',
        post_event(DID, "r9", T0 + 9, text="acme"),
    ]
    with FakeJetstream(bad) as fake:
        source = make_source(fake.url)
        stats = stream.StreamStats()
        stream.run_source(source.pk, stop=threading.Event(), stats=stats, max_failures=1)
    assert stats.malformed == 3 and stats.events == 4 and stats.matched == 1
    assert list(Mention.objects.values_list("external_id", flat=True)) == [f"at://{DID}/app.bsky.feed.post/r9"]


def test_source_watch_terms_filter_locally(db, team_lead):
    other = watch_term_add(actor=team_lead, term="globex", kind="brand")
    watch_term_add(actor=team_lead, term="acme", kind="brand")
    with FakeJetstream(events() + [post_event(DID, "r5", T0 + 8, text="Globex too")]) as fake:
        source = make_source(fake.url)
        source.watch_terms.set([other])
        stream.run_source(source.pk, stop=threading.Event(), max_failures=1)
    assert [m.external_id.rsplit("/", 1)[1] for m in Mention.objects.all()] == ["r5"]


@pytest.mark.django_db(transaction=True)
def test_listen_command_runs_enabled_stream_sources_and_stops_on_sigterm(team_lead):
    import os
    import signal

    from django.core.management import call_command

    watch_term_add(actor=team_lead, term="acme", kind="brand")
    with FakeJetstream(events(), close_after=False) as fake:
        source = make_source(fake.url)
        Source.objects.create(
            name="Paused", kind=SourceKind.BLUESKY_JETSTREAM, enabled=False, config={"base_url": fake.url}
        )
        previous = signal.getsignal(signal.SIGTERM)
        timer = threading.Timer(1.5, os.kill, args=(os.getpid(), signal.SIGTERM))
        timer.start()
        call_command("listen", heartbeat_seconds=0.2)
        assert signal.getsignal(signal.SIGTERM) is previous
    source.refresh_from_db()
    assert source.cursor == {"time_us": T0 + 7}
    assert Mention.objects.count() == 3
    # Only the enabled source connected.
    assert len(fake.requests) == 1
    # Its heartbeats are what /healthz reads for an enabled stream source.
    assert stream.check_listen() == "ok"


def test_config_needs_a_websocket_url_and_positive_numbers():
    from django.core.exceptions import ValidationError

    from incidents.listening.sources.connectors.bluesky import JetstreamConnector

    connector = JetstreamConnector()
    assert connector.clean_config({"base_url": "ws://127.0.0.1:1"})["rewind_seconds"] == 5
    for bad in ({"base_url": "https://jetstream.example"}, {"base_url": "ws://h", "rewind_seconds": -1}):
        with pytest.raises(ValidationError):
            connector.clean_config(bad)


def wait_for(predicate, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_listen_picks_up_added_changed_and_disabled_sources_without_a_restart(team_lead):
    watch_term_add(actor=team_lead, term="acme", kind="brand")
    running, stats = {}, stream.StreamStats()
    with FakeJetstream(events(), close_after=False) as fake:
        try:
            stream.reconcile(running, stats=stats)
            assert running == {}
            source = make_source(fake.url)
            stream.reconcile(running, stats=stats)
            first = running[source.pk].thread
            wait_for(lambda: Source.objects.get(pk=source.pk).cursor == {"time_us": T0 + 7})
            assert len(fake.requests) == 1
            # Unchanged: the same thread goes on.
            stream.reconcile(running, stats=stats)
            assert running[source.pk].thread is first
            # Changed configuration: stopped, started again from the stored cursor.
            source.config = {**source.config, "rewind_seconds": 0}
            source.save(update_fields=["config"])
            stream.reconcile(running, stats=stats)
            assert not first.is_alive() and running[source.pk].thread is not first
            wait_for(lambda: len(fake.requests) == 2)
            assert int(fake.requests[1]["cursor"]) == T0 + 7
            # Disabled: stopped and forgotten.
            second = running[source.pk].thread
            Source.objects.filter(pk=source.pk).update(enabled=False)
            stream.reconcile(running, stats=stats)
            assert running == {} and not second.is_alive()
        finally:
            for run in running.values():
                run.stop.set()
                run.thread.join(timeout=30)
    assert Mention.objects.count() == 3
