"""Per-source rate limit: one budget per calendar minute, shared by every process through the cache."""

import pytest
from django.conf import settings
from django.core.cache.backends.db import DatabaseCache

from crisisdesk.cache import RedisCache
from incidents.listening.sources.connectors.base import RateLimited, _RateLimiter


class Clock:
    def __init__(self, now):
        self.now = now
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def database_caches(db):
    """Two cache objects on the one database table: what two processes without Redis share."""
    first, second = (DatabaseCache(settings.CACHE_TABLE, {}) for _ in range(2))
    first.clear()
    return first, second


def test_the_request_past_the_budget_waits_for_the_next_minute(database_caches):
    store, _ = database_caches
    clock, limiter = Clock(6_000_045.0), _RateLimiter()
    for _ in range(3):
        limiter.wait(7, 3, clock=clock, sleep=clock.sleep, store=store)
    assert clock.slept == []
    limiter.wait(7, 3, clock=clock, sleep=clock.sleep, store=store)
    assert clock.slept == [15.0]  # 45 s into the minute: the next one starts in 15 s
    # Another source has its own budget.
    limiter.wait(8, 1, clock=clock, sleep=clock.sleep, store=store)
    assert clock.slept == [15.0]


def test_a_wait_longer_than_allowed_is_a_rate_limited_error(database_caches):
    store, _ = database_caches
    clock, limiter = Clock(6_000_010.0), _RateLimiter()
    limiter.wait(7, 1, clock=clock, sleep=clock.sleep, store=store)
    with pytest.raises(RateLimited) as raised:
        limiter.wait(7, 1, clock=clock, sleep=clock.sleep, store=store, max_wait=30)
    assert raised.value.retry_after == 50.0 and clock.slept == []


def test_two_processes_share_one_budget_through_the_database_cache(database_caches):
    first, second = database_caches
    clock = Clock(6_000_000.0)
    _RateLimiter().wait(7, 2, clock=clock, sleep=clock.sleep, store=first)
    _RateLimiter().wait(7, 2, clock=clock, sleep=clock.sleep, store=second)
    with pytest.raises(RateLimited):
        _RateLimiter().wait(7, 2, clock=clock, sleep=clock.sleep, store=first, max_wait=0)


def test_two_processes_share_one_budget_through_redis(redis_url):
    first, second = (RedisCache(redis_url, {}) for _ in range(2))
    clock = Clock(6_000_000.0)
    first.delete("crisisdesk:source-rate:9:100000")  # this minute's counter, should an earlier run have left it
    for store in (first, second, second):
        _RateLimiter().wait(9, 3, clock=clock, sleep=clock.sleep, store=store)
    with pytest.raises(RateLimited):
        _RateLimiter().wait(9, 3, clock=clock, sleep=clock.sleep, store=first, max_wait=0)
