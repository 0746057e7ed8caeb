"""Worker fixtures: a real Redis, this process's Celery app pointed at it, Celery worker processes.

A pytest plugin (``-p crisisdesk.testing.worker`` in pyproject): ``broker``, ``start_worker``
and ``wait_until`` serve every end-to-end test with a worker (webhooks, spike alerts). The
tests that use them are ``transaction=True`` and PostgreSQL-only: the worker is a subprocess
started with ``DATABASE_URL`` pointing at pytest-django's test database, so it reads what the
test committed. Redis comes from ``scripts/with-redis.sh`` (``CRISISDESK_TEST_REDIS_URL``, as in
``make test``) or, when run by hand, from a throwaway ``redis-server`` started here.

Retry and sweep timings are shortened through the worker's environment (seconds, not minutes).
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

from crisisdesk.celery import app as celery_app


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "worker: end-to-end with a real Redis and a Celery worker process (PostgreSQL pass of make test)"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


BASE_DIR = Path(settings.BASE_DIR)
WORKER_ENV = {
    "CELERY_TASK_ALWAYS_EAGER": "0",
    "WEBHOOK_RETRY_BASE_SECONDS": "1",
    "WEBHOOK_RETRY_MAX_SECONDS": "2",
    "WEBHOOK_MAX_ATTEMPTS": "100",
    "WEBHOOK_SWEEP_SECONDS": "1",
    "WEBHOOK_SWEEP_GRACE_SECONDS": "3",
    "WEBHOOK_CONNECT_TIMEOUT": "2",
    "WEBHOOK_READ_TIMEOUT": "5",
    "DJANGO_LOG_LEVEL": "INFO",
}


def _wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


# Databases of the test Redis (scripts/with-redis.sh and the server below start it with this many).
REDIS_DATABASES = 64


def redis_database_index() -> int:
    """This pytest process's Redis database: 0 in a serial run, 1 + N for pytest-xdist worker ``gwN``.

    Under ``pytest -n`` the workers share one Redis: each gets its own database, so one worker's
    ``flushdb`` (``broker``, the shared-cache test) never empties another's queues or counters, and
    its Celery worker processes never take another's tasks (kombu prefixes even its fanout channels
    with the database number).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return 0
    index = 1 + int(worker[2:])
    if index >= REDIS_DATABASES:
        pytest.fail(f"xdist worker {worker} needs Redis database {index}; the test Redis has {REDIS_DATABASES}")
    return index


def _with_database(url: str, index: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{index}"))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis: the one `make test` started, or a throwaway redis-server of our own.

    The URL names this process's own database (``redis_database_index``): xdist workers never meet.
    """
    url = os.environ.get("CRISISDESK_TEST_REDIS_URL")
    if url:
        yield _with_database(url, redis_database_index())
        return
    binary = subprocess.run(["which", "redis-server"], capture_output=True, text=True).stdout.strip()  # noqa: S607
    if not binary:
        pytest.fail("redis-server is missing: run scripts/ensure-system-deps.sh (Debian package redis-server)")
    port = free_port()
    directory = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--databases",
            str(REDIS_DATABASES),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/{redis_database_index()}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def broker(redis_url):
    """Point this process's Celery app at Redis (instead of eager) for one test; an empty Redis each time."""
    redis.Redis.from_url(redis_url).flushdb()
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}

    def reset_pools():
        # The app caches its broker connection pools; they must follow the new URL.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.update(broker_url=redis_url, task_always_eager=False)
    reset_pools()
    yield redis_url
    celery_app.conf.update(saved)
    reset_pools()


class Worker:
    """One ``celery -A crisisdesk worker -B`` process group; stop() is graceful, kill() is SIGKILL."""

    def __init__(self, process: subprocess.Popen, log: Path):
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.output():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"the worker did not start:\n{self.output()[-4000:]}")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def start_worker(broker, tmp_path):
    """``start_worker()`` → a running worker on the test database and the test Redis (stopped after the test)."""
    workers: list[Worker] = []
    database = urlsplit(os.environ["DATABASE_URL"])
    test_database_url = urlunsplit(database._replace(path="/" + connection.settings_dict["NAME"]))

    def start() -> Worker:
        index = len(workers)
        env = {**os.environ, **WORKER_ENV, "DATABASE_URL": test_database_url, "REDIS_URL": broker}
        env.pop("CRISISDESK_TEST_REDIS_URL", None)
        log = tmp_path / f"worker{index}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - fixed arguments
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "crisisdesk",
                    "worker",
                    "--beat",
                    "--schedule",
                    str(tmp_path / f"beat{index}"),
                    "--concurrency",
                    "2",
                    "--pool",
                    "prefork",
                    "--without-mingle",
                    "--without-gossip",
                    "--loglevel",
                    "INFO",
                    "--hostname",
                    f"test{index}@%h",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() takes the pool children too
            )
        worker = Worker(process, log)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_until(condition, *, timeout: float, what: str, worker_log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    log = worker_log() if worker_log else ""
    raise AssertionError(f"timed out waiting for {what}\n--- worker log ---\n{log[-6000:]}")
