"""source_record_batch / source_record_failure: items, deletions and cursor in one transaction; back-off."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.listening.models import Mention, MentionTerm
from incidents.listening.services import watch_term_add
from incidents.listening.sources import services
from incidents.listening.sources.connectors.base import RateLimited, parse_retry_after
from incidents.listening.sources.models import Source, SourceKind, SourceRun


def post(n, **extra):
    return {
        "platform": "hackernews",
        "external_id": str(n),
        "text": f"Acme story {n}",
        "posted_at": "2026-11-20T10:00:00Z",
        **extra,
    }


@pytest.fixture
def source(db):
    return Source.objects.create(name="HN", kind=SourceKind.HACKERNEWS, config={})


def test_batch_stores_items_and_advances_cursor_together(source):
    result = services.source_record_batch(source=source, items=[post(1), post(2)], cursor={"since": 100})
    assert (result.created, result.rejected) == (2, 0)
    source.refresh_from_db()
    assert source.cursor == {"since": 100}
    assert source.last_success_at is not None
    assert set(Mention.objects.values_list("origin_id", flat=True)) == {source.pk}
    assert source.fetched_last_hour() == 2


def test_replayed_page_after_restart_is_no_duplicate_and_edit_wins(source):
    services.source_record_batch(source=source, items=[post(1)], cursor={"since": 1})
    edited = post(1, text="Acme story edited", edited_at="2026-11-20T11:00:00Z")
    result = services.source_record_batch(source=source, items=[post(1), edited], cursor={"since": 2})
    assert (result.created, result.updated) == (0, 1)
    assert Mention.objects.get().text == "Acme story edited"


def test_failed_ingest_leaves_the_cursor(source, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services.mention_services, "mentions_ingest", boom)
    with pytest.raises(RuntimeError):
        services.source_record_batch(source=source, items=[post(1)], cursor={"since": 9})
    source.refresh_from_db()
    assert source.cursor == {}
    assert not Mention.objects.exists()


def test_malformed_items_are_counted_not_stored(source):
    result = services.source_record_batch(source=source, items=[post(1), {"platform": "hackernews"}], cursor={"a": 1})
    assert (result.created, result.rejected) == (1, 1)
    source.refresh_from_db()
    assert "malformed" in source.last_error


def test_deletion_marks_and_unmatches(source, team_lead):
    term = watch_term_add(actor=team_lead, term="Acme", kind="brand")
    services.source_record_batch(source=source, items=[post(1)], cursor={})
    assert MentionTerm.objects.filter(watch_term=term).count() == 1
    result = services.source_record_batch(source=source, items=[], cursor={"x": 1}, deleted_ids=["1", "404"])
    assert result.deleted == 1
    assert Mention.objects.get().deleted_at is not None
    assert MentionTerm.objects.filter(watch_term=term).count() == 0


def test_cursor_conflict(source):
    services.source_record_batch(source=source, items=[], cursor={"since": 5})
    with pytest.raises(services.CursorConflict):
        services.source_record_batch(source=source, items=[post(1)], cursor={"since": 6}, expected_cursor={"since": 1})
    assert not Mention.objects.exists()


def test_failures_back_off_exponentially_and_honour_retry_after(source):
    now = timezone.now()
    s = services.source_record_failure(source=source, error=RateLimited("HTTP 429", retry_after=600), now=now)
    assert s.consecutive_failures == 1
    assert s.backoff_until == now + timedelta(seconds=600)
    assert s.failing_since == now
    s = services.source_record_failure(source=source, error=RuntimeError("x"), now=now)
    assert s.backoff_until == now + timedelta(seconds=services.BACKOFF_BASE_SECONDS * 2)
    assert "RuntimeError" in s.last_error
    services.source_record_batch(source=source, items=[], cursor={})
    source.refresh_from_db()
    assert (source.consecutive_failures, source.backoff_until, source.failing_since) == (0, None, None)


def test_parse_retry_after():
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == 60
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_a_deleted_post_delivered_again_stays_out_of_the_evidence(source, team_lead):
    term = watch_term_add(actor=team_lead, term="Acme", kind="brand")
    services.source_record_batch(source=source, items=[post(1)], cursor={})
    services.source_record_batch(source=source, items=[], cursor={}, deleted_ids=["1"])
    services.source_record_batch(
        source=source, items=[post(1, text="Acme again", edited_at="2026-11-21T00:00:00Z")], cursor={}
    )
    mention = Mention.objects.get()
    assert mention.deleted_at is not None and mention.text == "Acme again"
    assert MentionTerm.objects.filter(watch_term=term).count() == 0


# --- the source's history: one row per bucket, pruned past its retention ----------------------


def test_error_free_batches_within_a_bucket_share_a_row_and_failures_get_their_own(source, settings):
    settings.SOURCE_RUN_BUCKET_SECONDS = 60
    t0 = timezone.now()
    services.source_record_batch(source=source, items=[post(1), post(2)], cursor={"n": 2}, now=t0)
    services.source_record_batch(source=source, items=[post(3)], cursor={"n": 3}, now=t0 + timedelta(seconds=30))
    assert list(SourceRun.objects.values_list("fetched", "created")) == [(3, 3)]
    services.source_record_failure(source=source, error="HTTP 503", now=t0 + timedelta(seconds=40))
    # A new bucket after the window; the failure row stays on its own.
    services.source_record_batch(source=source, items=[post(4)], cursor={"n": 4}, now=t0 + timedelta(seconds=61))
    rows = list(SourceRun.objects.order_by("started_at").values_list("fetched", "error"))
    assert rows == [(3, ""), (0, "HTTP 503"), (1, "")]
    assert source.fetched_since(t0 - timedelta(seconds=1)) == 4


def test_pruning_keeps_the_retention_window_and_never_less_than_two_days(source, settings):
    from incidents.listening.tasks import prune_source_runs

    now = timezone.now()
    for days in (0.5, 1.5, 3, 8):
        SourceRun.objects.create(source=source, started_at=now - timedelta(days=days), fetched=1)
    settings.SOURCE_RUN_RETENTION_DAYS = 7
    assert prune_source_runs() == 1
    settings.SOURCE_RUN_RETENTION_DAYS = 0  # a misconfiguration cannot empty the last day's figures
    assert prune_source_runs() == 1
    assert SourceRun.objects.count() == 2
    assert settings.CELERY_BEAT_SCHEDULE["prune-source-runs"]["task"] == "incidents.prune_source_runs"
