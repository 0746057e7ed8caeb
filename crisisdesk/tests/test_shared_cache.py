"""Throttles and sign-in lockouts hold across processes: two real servers, one database, one cache.

With no shared cache configured, each gunicorn worker kept its own throttle counters: 186 of 200
anonymous token requests passed a 60/min limit with 2 workers. Here two ``manage.py runserver``
processes share the test database (a file SQLite DB, or PostgreSQL under with-postgres.sh) and
the cache the settings pick — the database cache table by default, Redis when ``REDIS_URL`` is
set — and requests alternate between them.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

from crisisdesk.testing.factories import UserFactory
from crisisdesk.testing.worker import _wait_for_port, free_port


def _database_url() -> str:
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    database = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(database._replace(path="/" + name))


def _server_env(cache: str, redis_url: str | None) -> dict:
    env = {**os.environ, "DATABASE_URL": _database_url(), "API_THROTTLE_ANON": "60/min", "AXES_FAILURE_LIMIT": "3"}
    for name in ("DJANGO_CACHE", "REDIS_URL", "CACHE_REDIS_URL", "CELERY_BROKER_URL", "CRISISDESK_TEST_REDIS_URL"):
        env.pop(name, None)  # the pytest process keeps a per-process cache; the servers must not
    if cache == "redis":
        env["REDIS_URL"] = redis_url
    env.update(DJANGO_DEBUG="0", DATABASE_POOL="0", CELERY_TASK_ALWAYS_EAGER="1")
    return env


@pytest.fixture
def servers(request, tmp_path):
    """``servers(cache)`` → the base URLs of two runserver processes on the test database."""
    started = []

    def start(cache: str, redis_url: str | None = None) -> list[str]:
        # Counters of an earlier test would still be there: the flush between tests spares the
        # cache table (not a model) and Redis.
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {settings.CACHE_TABLE}")  # noqa: S608 - a setting
        if redis_url:
            redis.Redis.from_url(redis_url).flushdb()
        env = _server_env(cache, redis_url)
        urls = []
        for index in range(2):
            port = free_port()
            log = (tmp_path / f"server{index}.log").open("wb")
            process = subprocess.Popen(  # noqa: S603 - fixed arguments
                [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            started.append((process, log))
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            _wait_for_port(int(url.rsplit(":", 1)[1]), timeout=30)
        return urls

    yield start
    for process, log in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def post(base: str, path: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - a loopback test server
        base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


TOKEN = "/api/v1/auth/token/"
CACHES = ["database", "redis"]


@pytest.fixture
def cache_config(request):
    if request.param == "redis":
        return "redis", request.getfixturevalue("redis_url")
    return "database", None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache_config", CACHES, indirect=True)
def test_the_anonymous_throttle_counts_requests_of_both_processes(servers, cache_config):
    first, second = servers(*cache_config)
    codes = []
    for number in range(61):
        # An empty body: refused (400) before any sign-in is tried, so only the throttle counts.
        status, _body = post(first if number % 2 == 0 else second, TOKEN, {})
        codes.append(status)
    assert codes[:60] == [400] * 60
    assert codes[60] == 429  # the 61st in the minute, whichever process it reaches
    assert post(second, TOKEN, {})[0] == 429
    if cache_config[0] == "database":
        with connection.cursor() as cursor:  # the counters really are in the shared table
            cursor.execute(f"SELECT COUNT(*) FROM {settings.CACHE_TABLE}")  # noqa: S608 - a setting
            assert cursor.fetchone()[0] >= 1


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_lockout_holds_on_the_other_process(servers, password):
    UserFactory(username="comms")
    first, second = servers("database")
    started = time.monotonic()
    assert post(first, TOKEN, {"username": "comms", "password": "wrong"})[0] == 400
    assert post(second, TOKEN, {"username": "comms", "password": "wrong"})[0] == 400
    assert post(first, TOKEN, {"username": "comms", "password": "wrong"})[0] == 429  # the 3rd: locked
    status, body = post(second, TOKEN, {"username": "comms", "password": password})
    assert status == 429
    assert body["code"] == "locked_out"
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    "env,backend,location",
    [
        ({}, "django.core.cache.backends.db.DatabaseCache", "crisisdesk_cache"),
        ({"REDIS_URL": "redis://cache:6379/0"}, "crisisdesk.cache.RedisCache", "redis://cache:6379/0"),
        (
            {"REDIS_URL": "redis://broker:6379/0", "CACHE_REDIS_URL": "redis://cache:6379/1"},
            "crisisdesk.cache.RedisCache",
            "redis://cache:6379/1",
        ),
        ({"DJANGO_CACHE": "locmem"}, "django.core.cache.backends.locmem.LocMemCache", None),
    ],
)
def test_the_cache_is_chosen_from_the_environment(env, backend, location):
    base = {k: v for k, v in os.environ.items() if k not in ("DJANGO_CACHE", "REDIS_URL", "CACHE_REDIS_URL")}
    code = "from django.conf import settings; import json; print(json.dumps(settings.CACHES['default']))"
    out = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        env={**base, **env, "DJANGO_SETTINGS_MODULE": "crisisdesk.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cache = json.loads(out.strip().splitlines()[-1])
    assert cache["BACKEND"] == backend
    assert cache.get("LOCATION") == location


@pytest.mark.django_db
def test_migrate_creates_the_database_cache_table():
    assert settings.CACHE_TABLE in connection.introspection.table_names()
