"""End to end with real parts: Redis, a Celery worker process (with embedded beat), PostgreSQL, a local receiver.

The test commits its data for real (``transaction=True``); the worker is a subprocess started
with ``DATABASE_URL`` pointing at pytest-django's test database, so it reads what the test
wrote. Redis comes from ``scripts/with-redis.sh`` (``CRISISDESK_TEST_REDIS_URL``, as in
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
from django.db import connection, transaction

from crisisdesk.celery import app as celery_app
from crisisdesk.review import services as review
from crisisdesk.review.tests.helpers import statement_in
from crisisdesk.webhooks import emit
from crisisdesk.webhooks.models import Delivery, DeliveryStatus, OutboxEvent
from incidents import services as incident_services

from .receiver import Receiver, free_port, verify

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

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


@pytest.fixture(autouse=True)
def _needs_postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip(
            f"needs a database a worker process can share (this run is on {connection.vendor}); "
            "runs in the PostgreSQL pass of `make test` (scripts/with-postgres.sh + scripts/with-redis.sh)"
        )


def _wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis: the one `make test` started, or a throwaway redis-server of our own."""
    url = os.environ.get("CRISISDESK_TEST_REDIS_URL")
    if url:
        yield url
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
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
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


@pytest.fixture
def live_receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def test_a_published_statement_arrives_signed_at_the_receiver(
    start_worker, live_receiver, make_subscription, communicator, legal, incident
):
    subscription = make_subscription(live_receiver.url, event_types=["statement.published"])
    worker = start_worker()
    statement = statement_in(
        "approved", author=communicator, reviewer=legal, publisher=communicator, withdrawer=legal, incident=incident
    )
    review.review_publish(actor=communicator, item=statement)

    wait_until(lambda: live_receiver.accepted(), timeout=30, what="the webhook", worker_log=worker.output)
    wait_until(
        lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).exists(),
        timeout=10,
        what="the delivery to be marked delivered",
        worker_log=worker.output,
    )
    [request] = live_receiver.accepted()
    body = verify(secret=subscription.secret, headers=request.headers, body=request.body, now=int(time.time()))
    event = OutboxEvent.objects.get(event_type="statement.published")
    assert body["id"] == request.headers["webhook-id"] == str(event.id)
    assert body["type"] == "statement.published"
    assert body["data"]["statement"]["id"] == statement.pk
    assert body["data"]["statement"]["status"] == "published"
    # The worker, not this process, sent it (tasks are not eager here).
    assert "webhooks.deliver" in worker.output()


def test_a_receiver_down_for_a_while_gets_every_event_exactly_once(start_worker, make_subscription, communicator):
    receiver = Receiver(port=free_port())  # not started: connection refused
    make_subscription(receiver.url, event_types=["incident.opened"])
    worker = start_worker()
    incidents = [incident_services.incident_open(actor=communicator, title=f"Outage report {n}") for n in range(10)]
    event_ids = {str(event_id) for event_id in OutboxEvent.objects.values_list("id", flat=True)}
    assert len(event_ids) == len(incidents)

    wait_until(
        lambda: Delivery.objects.filter(status=DeliveryStatus.RETRYING, failures__gte=2).count() == 10,
        timeout=30,
        what="every delivery to fail twice while the receiver is down",
        worker_log=worker.output,
    )
    receiver.start()
    try:
        wait_until(
            lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 10,
            timeout=60,
            what="every delivery once the receiver is back",
            worker_log=worker.output,
        )
        time.sleep(2)  # a duplicate, if any, would show up now (sweeps run every second)
        received = receiver.accepted_ids()
    finally:
        receiver.stop()

    assert sorted(received) == sorted(event_ids), "each event exactly once"
    assert all(request.answered == 200 for request in receiver.requests)
    assert min(Delivery.objects.values_list("attempts", flat=True)) >= 3


def test_killing_the_worker_mid_batch_loses_nothing(start_worker, live_receiver, make_subscription):
    make_subscription(live_receiver.url, event_types=["incident.opened"])
    live_receiver.delay = 0.15
    first = start_worker()
    for n in range(30):
        with transaction.atomic():
            emit(event_type="incident.opened", payload={"n": n})
    event_ids = {str(event_id) for event_id in OutboxEvent.objects.values_list("id", flat=True)}

    wait_until(
        lambda: len(live_receiver.accepted()) >= 5, timeout=30, what="the batch to start", worker_log=first.output
    )
    first.kill()
    delivered_before = Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
    assert delivered_before < 30, "the kill came too late to be mid-batch"

    second = start_worker()
    wait_until(
        lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 30,
        timeout=90,
        what="the new worker to deliver the rest",
        worker_log=second.output,
    )
    received = live_receiver.accepted_ids()
    # Nothing lost. A POST in flight at the kill may arrive twice (its success was never
    # recorded): receivers deduplicate on the event id, and at most the two pool processes'
    # requests can be in flight.
    assert set(received) == event_ids
    assert len(received) - len(set(received)) <= 2
    assert Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).count() == 0
