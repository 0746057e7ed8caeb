"""YouTube connector (google-api-python-client, shipped discovery document) against a fake YouTube Data API v3."""

import logging
from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.listening.models import Mention
from incidents.listening.services import watch_term_add
from incidents.listening.sources import polling
from incidents.listening.sources.connectors import youtube_api
from incidents.listening.sources.connectors.base import get_connector
from incidents.listening.sources.models import Source, SourceKind
from incidents.listening.sources.tests.fake_youtube import KEY, NOW, FakeYouTube, error, reply, stamp, thread, video
from incidents.listening.sources.tests.listing_helpers import (
    assert_requests_wait_for_the_rate_limit,
    assert_served_twice_or_replayed_is_stored_once,
    poll_fresh,
    reloaded,
)

pytestmark = pytest.mark.django_db


def make_source(url, key=KEY, **config):
    source = Source(
        name="YouTube channel",
        kind=SourceKind.YOUTUBE,
        config={"api_url": url, "channel_id": "UCacme", "max_results": 2, **config},
        max_requests_per_minute=600,
    )
    source.set_credentials({"api_key": key})
    source.save()
    return source


@pytest.fixture
def fake(fake_server):
    yt = FakeYouTube([thread(n) for n in range(1, 4)], [video(n) for n in range(1, 3)])
    fake_server.route("GET", "/youtube/v3/commentThreads", yt.comment_threads)
    fake_server.route("GET", "/youtube/v3/search", yt.search)
    fake_server.route("GET", "/youtube/v3/comments", yt.comments)
    fake_server.route("GET", "/youtube/v3/videos", yt.videos_list)
    return yt


@pytest.fixture
def channel(fake, fake_server):
    return make_source(fake_server.url), fake


def requests_to(fake_server, name):
    return [r for r in fake_server.requests if r["path"] == f"/youtube/v3/{name}"]


def assert_edited_then_quiet(source, external_id, text, edited_at, *, deleted):
    """The edit stored as the mention's new version, the deletion marked; the next poll finds nothing more."""
    edited = Mention.objects.get(external_id=external_id)
    assert edited.text == text and edited.edited_at.timestamp() == edited_at
    assert Mention.objects.get(external_id=deleted).deleted_at is not None
    result = poll_fresh(source)
    assert (result.fetched, result.updated, result.deleted) == (0, 0, 0)


def listings(fake_server):
    """The commentThreads requests that read a listing (not threads re-read by id)."""
    return [r for r in requests_to(fake_server, "commentThreads") if "id" not in r["query"]]


def threads_re_read(fake_server):
    return [r["query"]["id"] for r in requests_to(fake_server, "commentThreads") if "id" in r["query"]]


def reply_reads(fake_server):
    return [r["query"] for r in requests_to(fake_server, "comments") if "parentId" in r["query"]]


def test_channel_comments_newest_page_then_walks_back_with_page_tokens(channel, fake_server):
    source, yt = channel
    polling.source_poll(source=source, force=True)
    first = listings(fake_server)[0]["query"]
    assert (first["allThreadsRelatedToChannelId"], first["maxResults"], first["key"]) == ("UCacme", "2", KEY)
    assert set(Mention.objects.values_list("external_id", flat=True)) == {"Ugthread2", "Ugthread3"}
    m = Mention.objects.get(external_id="Ugthread3")
    assert (m.platform, m.text, m.author) == ("youtube", "Acme comment 3 & more", "@viewer3")
    assert m.url == "https://www.youtube.com/watch?v=vid1&lc=Ugthread3" and m.posted_at.timestamp() == NOW + 30
    source.refresh_from_db()
    assert source.cursor["streams"] == {"channel:UCacme": {"since": NOW + 30.0, "since_ids": ["Ugthread3"]}}

    yt.threads += [thread(n) for n in range(4, 9)]
    polling.source_poll(source=source, force=True)
    tokens = [r["query"].get("pageToken") for r in listings(fake_server)]
    assert tokens == [None, None, "after:Ugthread7", "after:Ugthread5"]
    assert Mention.objects.count() == 7
    source.refresh_from_db()
    assert source.cursor["streams"]["channel:UCacme"] == {"since": NOW + 80.0, "since_ids": ["Ugthread8"]}


def test_restart_from_the_stored_cursor_fetches_no_duplicate(channel):
    source, yt = channel
    polling.source_poll(source=source, force=True)
    yt.threads.append(thread(4))
    result = poll_fresh(source)
    assert (result.fetched, result.created) == (1, 1)
    result = poll_fresh(source)
    assert (result.fetched, result.created) == (0, 0) and Mention.objects.count() == 3


def test_restart_in_the_middle_of_a_walk_resumes_at_its_page(channel, fake_server, settings):
    source, yt = channel
    polling.source_poll(source=source, force=True)
    yt.threads += [thread(n) for n in range(4, 9)]
    settings.SOURCE_MAX_PAGES = 1
    polling.source_poll(source=source, force=True)
    assert reloaded(source).cursor["streams"]["channel:UCacme"]["after"] == "after:Ugthread7"
    settings.SOURCE_MAX_PAGES = 10
    poll_fresh(source)
    assert listings(fake_server)[2]["query"]["pageToken"] == "after:Ugthread7"
    assert Mention.objects.count() == 7


def test_edited_and_deleted_comments_are_found_in_the_listing_or_on_re_reading(channel, fake_server):
    source, yt = channel
    polling.source_poll(source=source, force=True)
    yt.threads[2] = thread(3, text="Acme comment 3, edited", updated=NOW + 900)
    yt.threads[1]["deleted"] = True
    result = poll_fresh(source)
    # Thread 3 is still on the newest page (its edit shows there); thread 2 left it: re-read by id.
    asked = requests_to(fake_server, "commentThreads")[-1]["query"]
    assert (asked["id"], asked["part"], asked["key"]) == ("Ugthread2", "snippet,replies", KEY)
    assert not requests_to(fake_server, "comments")  # the thread brought its top-level comment
    assert (result.updated, result.deleted) == (1, 1)
    assert_edited_then_quiet(source, "Ugthread3", "Acme comment 3, edited", NOW + 900, deleted="Ugthread2")


def test_an_edit_behind_the_newest_page_is_found_by_re_reading(channel, fake_server):
    source, yt = channel
    polling.source_poll(source=source, force=True)
    yt.threads[1] = thread(2, text="Acme comment 2, edited", updated=NOW + 900)
    yt.threads.append(thread(4))  # the newest page is now 4, 3: thread 2 is not read again there
    poll_fresh(source)
    assert threads_re_read(fake_server) == ["Ugthread2"]
    assert Mention.objects.get(external_id="Ugthread2").text == "Acme comment 2, edited"


def test_without_re_reading_endpoints_the_listings_still_flow(channel, fake_server):
    source, yt = channel
    del fake_server.routes[("GET", "/youtube/v3/comments")]
    yt.by_id = False
    polling.source_poll(source=source, force=True)
    yt.threads.append(thread(4))
    result = poll_fresh(source)
    assert threads_re_read(fake_server) == ["Ugthread2"] and result.created == 1
    source.refresh_from_db()
    assert source.last_error == "" and source.consecutive_failures == 0


def test_search_results_are_mentions_searched_at_most_every_interval(fake, fake_server, team_lead):
    source = make_source(fake_server.url, channel_id="", search_interval_seconds=3600)
    source.watch_terms.add(watch_term_add(actor=team_lead, term="Acme", kind="brand"))
    polling.source_poll(source=source, force=True)
    search = requests_to(fake_server, "search")[0]["query"]
    assert search["q"] == "Acme" and "publishedAfter" not in search
    m = Mention.objects.get(external_id="vid2")
    assert (m.text, m.author, m.url) == (
        "Acme & the recall — Video 2",
        "News & Co",
        "https://www.youtube.com/watch?v=vid2",
    )
    poll_fresh(source)
    assert len(requests_to(fake_server, "search")) == 1  # 100 quota units: not again within the hour
    fake.videos[1]["deleted"] = True
    fresh = reloaded(source)
    fresh.cursor["streams"]["search:Acme"]["searched_at"] -= 3600
    Source.objects.filter(pk=source.pk).update(cursor=fresh.cursor)
    fake.videos.append(video(3))
    poll_fresh(source)
    again = requests_to(fake_server, "search")[1]["query"]
    assert again["publishedAfter"] == stamp(NOW + 19)
    assert Mention.objects.filter(external_id="vid3").exists()
    assert Mention.objects.get(external_id="vid2").deleted_at is not None


def test_quota_exceeded_waits_for_the_daily_reset(channel):
    source, yt = channel
    yt.fail.append(
        (403, {}, error(403, "quotaExceeded", "The request cannot be completed because you have exceeded your quota."))
    )
    before = timezone.now()
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.last_error.startswith("RateLimited: YouTube quota exceeded (quotaExceeded)")
    waited = (source.backoff_until - before).total_seconds()
    assert 59 <= waited <= 86400 and abs(waited - youtube_api.seconds_until_quota_reset()) < 120
    assert source.cursor == {} and KEY not in source.last_error


def test_quota_reset_is_midnight_pacific():
    from zoneinfo import ZoneInfo

    at = datetime(2026, 7, 1, 23, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert youtube_api.seconds_until_quota_reset(at) == 3600


def test_429_retry_after_5xx_and_malformed(channel, fake_server):
    source, yt = channel
    yt.fail.append((429, {"Retry-After": "300"}, error(429, "rateLimitExceeded")))
    before = timezone.now()
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert "429" in source.last_error and (source.backoff_until - before).total_seconds() >= 299
    yt.fail.append((503, {}, error(503, "backendError")))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.last_error.startswith("TransientError: HTTP 503") and KEY not in source.last_error
    assert "/youtube/v3/commentThreads" in source.last_error
    yt.fail.append((200, {}, {"kind": "youtube#commentThreadListResponse"}))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert "items" in source.last_error
    yt.fail.append((200, {"Content-Type": "application/json"}, "<html>oops"))
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert "not JSON" in source.last_error and source.consecutive_failures == 4
    assert source.cursor == {} and not Mention.objects.exists()
    assert len(requests_to(fake_server, "commentThreads")) == 4  # one request per failure: no hidden retries
    yt.threads.append({"kind": "youtube#commentThread", "id": "Ugbroken", "snippet": {}})
    result = polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert (result.rejected, result.created) == (1, 1) and "skipped (malformed)" in source.last_error


def test_invalid_or_missing_key_is_an_auth_error(fake, fake_server):
    source = make_source(fake_server.url, key="AIza-0ld-key")
    polling.source_poll(source=source, force=True)
    source.refresh_from_db()
    assert source.last_error.startswith("AuthError: HTTP 400") and "keyInvalid" in source.last_error
    assert "AIza-0ld-key" not in source.last_error
    source.set_credentials({"api_key": KEY})
    source.save()
    polling.source_poll(source=source, force=True)
    assert Mention.objects.count() == 2
    keyless = Source.objects.create(name="k", kind=SourceKind.YOUTUBE, config={"channel_id": "UCacme"})
    polling.source_poll(source=keyless, force=True)
    keyless.refresh_from_db()
    assert keyless.last_error == "AuthError: YouTube needs the api_key credential"


def test_config_is_validated():
    connector = get_connector(SourceKind.YOUTUBE)
    assert connector.credential_fields == ("api_key",)
    assert connector.clean_config({"video_ids": ["abc"]})["max_results"] == 100
    bad_configs = (
        {"video_ids": "abc"},
        {"video_ids": ["a b"]},
        {"max_results": 0},
        {"api_url": "file:///x"},
        {"channel_id": 3},
        {"channel_id": "UC/../x"},
        {"max_replies_per_thread": 1001},
        {"max_replies_per_thread": "100"},
    )
    for bad in bad_configs:
        with pytest.raises(ValidationError):
            connector.clean_config(bad)


def test_every_request_waits_for_the_sources_rate_limit(channel, fake_server, monkeypatch):
    source, yt = channel
    assert_requests_wait_for_the_rate_limit(monkeypatch, youtube_api, source, fake_server, requests=1)


def test_the_key_is_in_no_log_line_even_at_debug_level(channel, caplog):
    source, yt = channel
    caplog.set_level(logging.DEBUG)
    polling.source_poll(source=source, force=True)
    yt.fail.append((500, {}, error(500, "backendError")))
    polling.source_poll(source=source, force=True)
    assert "500" in caplog.text and KEY not in caplog.text
    assert Mention.objects.count() == 2


def test_a_comment_served_twice_or_replayed_is_stored_once(channel):
    source, yt = channel
    twice = {"kind": "youtube#commentThreadListResponse", "items": [thread(4), thread(4), thread(3)]}
    assert_served_twice_or_replayed_is_stored_once(
        source, yt.fail, arrive=lambda: yt.threads.append(thread(4)), twice=twice, new_id="Ugthread4"
    )


# --- replies -------------------------------------------------------------------------------------


def replies_stored(thread_n=3):
    return set(
        Mention.objects.filter(external_id__startswith=f"Ugthread{thread_n}.").values_list("external_id", flat=True)
    )


def test_inline_replies_are_mentions_without_another_request(channel, fake_server):
    source, yt = channel
    yt.replies["Ugthread3"] = [reply(3, 1), reply(3, 2)]
    polling.source_poll(source=source, force=True)
    assert listings(fake_server)[0]["query"]["part"] == "snippet,replies"
    assert replies_stored() == {"Ugthread3.reply1", "Ugthread3.reply2"} and not reply_reads(fake_server)
    m = Mention.objects.get(external_id="Ugthread3.reply2")
    assert (m.platform, m.text, m.author) == ("youtube", "Reply 2 to 3", "@replier2")
    assert m.url == "https://www.youtube.com/watch?v=vid1&lc=Ugthread3.reply2"
    assert m.posted_at.timestamp() == NOW + 32 and m.edited_at is None
    assert Source.objects.get(pk=source.pk).cursor["threads"]["Ugthread3"] == [NOW + 30.0, 2, None, None]


def test_replies_beyond_the_inline_ones_are_paged_once_until_the_count_moves(channel, fake_server):
    source, yt = channel
    Source.objects.filter(pk=source.pk).update(config={**source.config, "max_replies_per_thread": 200})
    yt.replies["Ugthread3"] = [reply(3, n) for n in range(1, 131)]
    result = poll_fresh(source)
    asked = reply_reads(fake_server)
    assert [(q["parentId"], q["maxResults"], q.get("pageToken")) for q in asked] == [
        ("Ugthread3", "100", None),
        ("Ugthread3", "100", "after:Ugthread3.reply100"),
    ]
    assert len(replies_stored()) == 130 and result.created == 132  # two threads, 130 replies
    # The same count on the next poll: the thread is not paged again (its inline replies come free).
    result = poll_fresh(source)
    assert len(reply_reads(fake_server)) == 2 and (result.fetched, result.created) == (0, 0)
    yt.replies["Ugthread3"].append(reply(3, 131))
    result = poll_fresh(source)
    assert len(reply_reads(fake_server)) == 4 and result.created == 1 and len(replies_stored()) == 131


def test_the_reply_cap_holds_per_poll_and_the_read_resumes_after_a_restart(channel, fake_server):
    source, yt = channel
    Source.objects.filter(pk=source.pk).update(config={**source.config, "max_replies_per_thread": 4})
    yt.replies["Ugthread3"] = [reply(3, n) for n in range(1, 13)]
    poll_fresh(source)
    # Five inline, four paged (the first four again): five stored, the read stops at its token.
    assert [q["maxResults"] for q in reply_reads(fake_server)] == ["4"] and len(replies_stored()) == 5
    assert reloaded(source).cursor["threads"]["Ugthread3"] == [NOW + 30.0, None, "after:Ugthread3.reply4", 12]
    created = [poll_fresh(source).created for _ in range(3)]  # each poll a new process: the cursor from the database
    assert [q.get("pageToken") for q in reply_reads(fake_server)] == [
        None,
        "after:Ugthread3.reply4",
        "after:Ugthread3.reply8",
    ]
    assert created == [3, 4, 0] and len(replies_stored()) == 12
    assert Mention.objects.filter(external_id__startswith="Ugthread3.").count() == 12
    assert reloaded(source).cursor["threads"]["Ugthread3"] == [NOW + 30.0, 12, None, None]


def test_a_stale_resume_token_reads_the_thread_again_from_the_start(channel, fake_server):
    source, yt = channel
    Source.objects.filter(pk=source.pk).update(config={**source.config, "max_replies_per_thread": 4})
    yt.replies["Ugthread3"] = [reply(3, n) for n in range(1, 13)]
    poll_fresh(source)
    yt.replies["Ugthread3"][3]["deleted"] = True  # the reply the token names: the fake refuses the token
    poll_fresh(source)
    assert [q.get("pageToken") for q in reply_reads(fake_server)][1:] == ["after:Ugthread3.reply4", None]
    source.refresh_from_db()
    assert source.last_error == "" and source.cursor["threads"]["Ugthread3"][2] == "after:Ugthread3.reply5"


def test_a_new_reply_on_a_thread_behind_the_newest_page_is_found_by_re_reading_it(channel, fake_server):
    source, yt = channel
    polling.source_poll(source=source, force=True)
    yt.threads.append(thread(4))  # the newest page is now 4, 3
    yt.replies["Ugthread2"] = [reply(2, 1)]
    result = poll_fresh(source)
    assert threads_re_read(fake_server) == ["Ugthread2"] and result.created == 2
    assert replies_stored(2) == {"Ugthread2.reply1"}


def test_edited_and_deleted_replies(channel, fake_server):
    source, yt = channel
    yt.replies["Ugthread3"] = [reply(3, n) for n in range(1, 8)]
    polling.source_poll(source=source, force=True)
    assert len(replies_stored()) == 7
    yt.replies["Ugthread3"][0] = reply(3, 1, text="Reply 1, edited", updated=NOW + 900)  # inline
    yt.replies["Ugthread3"][6] = reply(3, 7, text="Reply 7, edited", updated=NOW + 901)  # paged only
    yt.replies["Ugthread3"][1]["deleted"] = True
    result = poll_fresh(source)
    # The count moved (7 → 6): the thread is paged again; the deleted reply is asked for by id.
    assert requests_to(fake_server, "comments")[-1]["query"]["id"] == "Ugthread3.reply2"
    assert (result.updated, result.deleted) == (2, 1)
    assert Mention.objects.get(external_id="Ugthread3.reply1").text == "Reply 1, edited"
    assert_edited_then_quiet(source, "Ugthread3.reply7", "Reply 7, edited", NOW + 901, deleted="Ugthread3.reply2")


def test_an_edited_reply_off_the_page_is_found_by_re_reading_it_by_id(channel, fake_server):
    source, yt = channel
    yt.replies["Ugthread3"] = [reply(3, n) for n in range(1, 8)]
    polling.source_poll(source=source, force=True)
    yt.replies["Ugthread3"][6] = reply(3, 7, text="Reply 7, edited", updated=NOW + 900)  # the count stays 7
    result = poll_fresh(source)
    assert len(reply_reads(fake_server)) == 1
    assert "Ugthread3.reply7" in requests_to(fake_server, "comments")[-1]["query"]["id"].split(",")
    assert result.updated == 1 and Mention.objects.get(external_id="Ugthread3.reply7").text == "Reply 7, edited"


def test_failures_on_the_replies_path(channel, fake_server):
    source, yt = channel
    yt.replies["Ugthread3"] = [reply(3, n) for n in range(1, 8)]
    quota = error(403, "quotaExceeded", "The request cannot be completed because you have exceeded your quota.")
    yt.fail_replies += [
        (403, {}, quota),
        (429, {"Retry-After": "300"}, error(429, "rateLimitExceeded")),
        (503, {}, error(503, "backendError")),
        (200, {}, {"kind": "youtube#commentListResponse"}),
    ]
    expected = ("RateLimited: YouTube quota exceeded", "RateLimited: HTTP 429", "TransientError: HTTP 503", "items")
    for said in expected:
        before = timezone.now()
        poll_fresh(source)
        source.refresh_from_db()
        assert said in source.last_error and KEY not in source.last_error
        # The whole poll failed: nothing stored, the cursor where it was.
        assert source.cursor == {} and not Mention.objects.exists()
    assert (source.backoff_until - before).total_seconds() >= 29 and source.consecutive_failures == 4
    # A 404 there (the thread gone meanwhile, or a stand-in without comments.list): the rest flows.
    yt.fail_replies.append((404, {}, error(404, "commentNotFound")))
    result = poll_fresh(source)
    assert reloaded(source).consecutive_failures == 0 and (result.created, len(replies_stored())) == (7, 5)
    Mention.objects.all().delete()
    Source.objects.filter(pk=source.pk).update(cursor={})
    broken = reply(3, 5)
    del broken["snippet"]["publishedAt"]
    yt.replies["Ugthread3"][4] = broken
    result = poll_fresh(source)
    source.refresh_from_db()
    assert (result.rejected, result.created) == (1, 8) and "skipped (malformed)" in source.last_error
    assert len(replies_stored()) == 6 and "Ugthread3.reply5" not in replies_stored()


def test_no_replies_with_a_cap_of_zero(channel, fake_server):
    source, yt = channel
    Source.objects.filter(pk=source.pk).update(config={**source.config, "max_replies_per_thread": 0})
    yt.replies["Ugthread3"] = [reply(3, n) for n in range(1, 8)]
    poll_fresh(source)
    assert not replies_stored() and not reply_reads(fake_server) and Mention.objects.count() == 2


# --- edited videos -------------------------------------------------------------------------------


def search_source(fake_server):
    source = make_source(fake_server.url, channel_id="", searches=["Acme"])
    polling.source_poll(source=source, force=True)
    return source


def make_search_due(source):
    fresh = reloaded(source)
    fresh.cursor["streams"]["search:Acme"]["searched_at"] -= 3600
    Source.objects.filter(pk=source.pk).update(cursor=fresh.cursor)


def test_an_edited_video_title_is_an_edit_version_found_by_re_reading(fake, fake_server):
    source = search_source(fake_server)
    fake.videos[1] = video(2, title="Acme recall: our answer", description="Updated")
    result = poll_fresh(source)  # the search is not due: videos.list re-reads it
    asked = requests_to(fake_server, "videos")[-1]["query"]
    assert (asked["part"], asked["id"], asked["key"]) == ("snippet", "vid1,vid2", KEY)
    assert result.updated == 1
    m = Mention.objects.get(external_id="vid2")
    assert m.text == "Acme recall: our answer — Updated" and m.edited_at > m.posted_at
    assert Mention.objects.get(external_id="vid1").edited_at is None
    result = poll_fresh(source)
    assert (result.fetched, result.updated) == (0, 0)


def test_a_video_seen_again_on_a_search_page_with_a_new_title(fake, fake_server):
    source = search_source(fake_server)
    fake.videos[1] = video(2, title="Acme: the fix", description="New")
    fake.videos.append(video(3))  # the page is now 3, 2: vid2 is behind the cursor
    make_search_due(source)
    result = poll_fresh(source)
    # vid2's new text on the page sends it to videos.list (its own resource), which makes the edit.
    assert requests_to(fake_server, "videos")[-1]["query"]["id"] == "vid1,vid2"
    assert (result.created, result.updated) == (1, 1)
    assert Mention.objects.get(external_id="vid2").text == "Acme: the fix — New"


def test_a_lagging_search_copy_does_not_undo_a_video_edit(fake, fake_server):
    source = search_source(fake_server)
    fake.search_lag["vid2"] = video(2)  # search keeps serving the old snippet
    fake.videos[1] = video(2, title="Acme: the fix", description="New")
    poll_fresh(source)
    make_search_due(source)
    result = poll_fresh(source)
    assert (result.fetched, result.updated) == (0, 0)
    assert Mention.objects.get(external_id="vid2").text == "Acme: the fix — New"
    Source.objects.filter(pk=source.pk).update(cursor={})  # a replay of the stale page from an older cursor
    poll_fresh(source)
    assert Mention.objects.get(external_id="vid2").text == "Acme: the fix — New"


def test_a_cursor_from_before_video_digests_takes_the_next_copy_as_its_reference(fake, fake_server):
    source = search_source(fake_server)
    cursor = reloaded(source).cursor
    cursor["videos"] = {name: value[:2] for name, value in cursor["videos"].items()}  # as stored before
    Source.objects.filter(pk=source.pk).update(cursor=cursor)
    result = poll_fresh(source)
    assert (result.fetched, result.updated) == (0, 0) and len(reloaded(source).cursor["videos"]["vid2"]) == 3
    fake.videos[1] = video(2, title="Acme recall: our answer")
    assert poll_fresh(source).updated == 1
