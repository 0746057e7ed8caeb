"""What the tests of the newest-first listing connectors (Reddit, YouTube) share.

Both connectors read a listing page by page back to a time cursor (``connectors/walk.py``) through
an official client, so they owe the same guarantees; these helpers state each once, and each
test file supplies its fake's payloads.
"""

from incidents.listening.models import Mention
from incidents.listening.sources import polling
from incidents.listening.sources.models import Source


def reloaded(source: Source) -> Source:
    """The source as a new process would read it: from the database, cursor and all."""
    return Source.objects.get(pk=source.pk)


def poll_fresh(source: Source):
    """One forced poll of the source as stored (what the next poll of a restarted worker does)."""
    return polling.source_poll(source=reloaded(source), force=True)


def assert_requests_wait_for_the_rate_limit(monkeypatch, module, source: Source, fake_server, *, requests: int):
    """Every request of one poll waits for the source's own rate limit (its key, its per-minute budget)."""
    calls = []
    monkeypatch.setattr(module.rate_limiter, "wait", lambda key, per_minute: calls.append((key, per_minute)))
    Source.objects.filter(pk=source.pk).update(max_requests_per_minute=7)
    poll_fresh(source)
    assert len(fake_server.requests) == requests
    assert calls == [(source.pk, 7)] * requests


def assert_served_twice_or_replayed_is_stored_once(source: Source, answers: list, *, arrive, twice, new_id: str):
    """An item twice in one page is stored once; a page replayed from an older cursor stores nothing new.

    After a first poll, ``arrive()`` publishes the new item ``new_id`` on the fake and ``twice`` (a
    page holding it twice and one item behind the cursor) is queued on the fake's ``answers``
    (``(status, headers, body)`` served before anything else).
    """
    polling.source_poll(source=source, force=True)
    total = Mention.objects.count() + 1
    arrive()
    answers.append((200, {}, twice))
    result = poll_fresh(source)
    assert (result.fetched, result.created) == (2, 1)  # the new item twice in the page; the other is behind the cursor
    Source.objects.filter(pk=source.pk).update(cursor={})  # an older cursor: the page comes again
    result = poll_fresh(source)
    assert (result.created, result.unchanged) == (0, 2)
    assert Mention.objects.filter(external_id=new_id).count() == 1 and Mention.objects.count() == total
