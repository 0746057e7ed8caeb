"""``crisisdesk.cache.RedisCache``: Django's Redis cache with one client per server, against a real Redis."""

import os
import select
import signal
import threading

import pytest
import redis

from crisisdesk.cache import RedisCache


@pytest.fixture
def cache(redis_url):
    backend = RedisCache(redis_url, {"KEY_PREFIX": f"cache-test-{os.getpid()}"})
    backend.clear()
    yield backend
    backend.clear()


def test_every_call_goes_through_one_client(cache):
    first = cache._cache.get_client()
    assert isinstance(first, redis.Redis)
    assert cache._cache.get_client(write=True) is first
    cache.set("a", {"n": 1}, 60)
    assert cache.get("a") == {"n": 1}
    assert cache._cache.get_client() is first


def test_django_cache_semantics_hold(cache):
    # The commands are Django's: add only when absent, incr, timeouts, many at once, delete, touch.
    assert cache.add("k", 1, 60) is True
    assert cache.add("k", 2, 60) is False
    assert cache.incr("k") == 2
    cache.set_many({"x": "1", "y": [2]}, 60)
    assert cache.get_many(["x", "y", "missing"]) == {"x": "1", "y": [2]}
    assert cache.delete("x") is True
    assert cache.get("x", "gone") == "gone"
    assert cache.touch("y", 30) is True
    cache.set("zero", "v", 0)  # timeout 0: not kept (Django's contract)
    assert cache.get("zero") is None
    assert 0 < redis.Redis.from_url(cache._servers[0]).ttl(cache.make_key("y")) <= 30


def test_one_client_serves_several_threads(cache):
    errors = []

    def work(n):
        try:
            for i in range(50):
                cache.set(f"t{n}-{i}", i, 60)
                assert cache.get(f"t{n}-{i}") == i
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache.get_many([f"t{n}-49" for n in range(4)]) == {f"t{n}-49": 49 for n in range(4)}


def test_a_forked_child_opens_its_own_connections(cache):
    cache.set("before", "parent", 60)
    parent_pool = cache._cache.get_client().connection_pool
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the same client object, the pool resets for the new process
        os.close(read)
        try:
            ok = cache.get("before") == "parent"
            cache.set("after", "child", 60)
            os.write(write, b"ok" if ok else b"no")
        finally:
            os._exit(0)
    os.close(write)
    ready, _, _ = select.select([read], [], [], 20)
    if not ready:  # never hang the suite on a child stuck on a lock another thread held at the fork
        os.kill(pid, signal.SIGKILL)
    answer = os.read(read, 2) if ready else b""
    os.waitpid(pid, 0)
    assert answer == b"ok"
    assert cache.get("after") == "child"
    assert cache._cache.get_client().connection_pool is parent_pool
