"""``make bench BENCH_ARGS="--ingest N"``: bulk-ingest throughput and spike-to-alert time (issue 7).

Measured the way production runs, over real HTTP: the bench starts gunicorn (the project's
``gunicorn.conf.py``, ``WEB_CONCURRENCY`` processes) and, when a Redis is at hand
(``REDIS_URL``, or ``CRISISDESK_TEST_REDIS_URL`` from ``scripts/with-redis.sh``), one Celery
worker process; all of them on the bench's PostgreSQL. The bench process is the integration:
a few client threads post pre-serialised 1,000-mention batches, API key in the header, and time
each request. The spike-rule evaluations the batches trigger run in the worker meanwhile,
competing for the same two cores, as they would in production.

Then the spike: 1,000 angry mentions of the last five minutes in one request; the clock runs
from sending it until the alert row exists (the worker evaluates the rule after a 1.25 s
debounce). Without Redis, tasks are eager and the alert is made inside the request.

``transport="inprocess"`` runs the same steps through ``django.test.Client`` in this process,
for the test suite (whose database other processes cannot see).
"""

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

INGEST_BATCH = 1000
SETTLE_SECONDS = 3
BENCH_PASSWORD = "bench-password"  # noqa: S105 - a throwaway user in a throwaway database
WORDS = ["Acme", "blender", "jar", "soup", "store", "delivery", "refund", "support"]
TONES = ["dangerous, cracked!", "great service, thanks", "at the shop today", "worst brand ever", "love it"]


def mention_batch(
    rng: random.Random, start: int, times: list[datetime], *, negative: float, prefix: str = "bench"
) -> list[dict]:
    """Mentions ``<prefix>-<start>…`` posted at ``times`` (each mentions Acme; ``negative`` of them angrily)."""
    return [
        {
            "platform": rng.choice(("x", "facebook", "instagram", "tiktok")),
            "external_id": f"{prefix}-{start + i}",
            "text": f"{rng.choice(WORDS)} {rng.choice(WORDS)} Acme "
            + ("disgusting and dangerous, jar cracked" if rng.random() < negative else rng.choice(TONES)),
            "posted_at": at.isoformat(),
            "author": f"@user{rng.randrange(100_000)}",
            "audience": rng.randrange(50_000),
            "url": f"https://example.org/p/{start + i}",
        }
        for i, at in enumerate(times)
    ]


def background_batches(
    rng: random.Random, total: int, *, end: datetime, days: int = 8, batch: int = INGEST_BATCH, prefix: str = "bench"
) -> list[bytes]:
    """``total`` quiet mentions over ``days`` days before ``end``, in time order, as JSON request bodies."""
    times = sorted(end - timedelta(days=days) * rng.random() for _ in range(total))
    return [
        json.dumps({"mentions": mention_batch(rng, n, times[n : n + batch], negative=0.1, prefix=prefix)}).encode()
        for n in range(0, total, batch)
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_url() -> str:
    return os.environ.get("REDIS_URL") or os.environ.get("CRISISDESK_TEST_REDIS_URL") or ""


class Processes:
    """gunicorn and the Celery worker, each in its own process group, logs in a temporary directory."""

    def __init__(self):
        self.directory = Path(tempfile.mkdtemp(prefix="crisisdesk-bench-"))
        self.running: list[tuple[str, subprocess.Popen]] = []

    def env(self, redis_url: str) -> dict:
        # DATABASE_URL is the bench's database (scripts/with-postgres.sh): the servers use it as it is.
        env = {
            **os.environ,
            "API_THROTTLE_APIKEY": "1000000/min",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_LOG_LEVEL": "WARNING",
            "CELERY_TASK_ALWAYS_EAGER": "0" if redis_url else "1",
        }
        env.pop("CRISISDESK_TEST_REDIS_URL", None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        else:
            env.pop("REDIS_URL", None)
        return env

    def start(self, name: str, argv: list[str], env: dict, ready: Callable[[str], bool], timeout: float = 60):
        log = self.directory / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - fixed arguments
                argv, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running.append((name, process))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready(log.read_text(errors="replace")):
                return
            if process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not start:\n{log.read_text(errors='replace')[-3000:]}")

    def stop(self):
        for _name, process in reversed(self.running):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class HTTPPoster:
    """Posts bodies to the bulk endpoint of a running server, one connection per client thread."""

    def __init__(self, port: int, path: str, raw_key: str):
        self.port, self.path = port, path
        self.headers = {"Authorization": f"Api-Key {raw_key}", "Content-Type": "application/json"}
        self.local = threading.local()

    def post(self, body: bytes) -> tuple[int, bytes]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("POST", self.path, body=body, headers=self.headers)
            response = conn.getresponse()
            content = response.read()
        except (http.client.HTTPException, OSError):
            # gunicorn's sync workers close the connection after each response: reconnect and resend.
            conn.close()
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request("POST", self.path, body=body, headers=self.headers)
            response = conn.getresponse()
            content = response.read()
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            self.local.conn = None
        return response.status, content


class InProcessPoster:
    """The same requests through ``django.test.Client`` (no server, no other process)."""

    def __init__(self, path: str, raw_key: str):
        self.path = path
        self.client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")

    def post(self, body: bytes) -> tuple[int, bytes]:
        response = self.client.post(self.path, body, content_type="application/json")
        return response.status_code, response.content


def _post_all(poster, batches: list[bytes], clients: int) -> tuple[float, list[float]]:
    """Post every batch from ``clients`` threads; returns the wall time and each request's duration."""
    durations: list[float] = []
    failures: list[str] = []
    queue = list(reversed(batches))
    lock = threading.Lock()

    def run():
        while True:
            with lock:
                if not queue or failures:
                    return
                body = queue.pop()
            t0 = time.perf_counter()
            status, content = poster.post(body)
            elapsed = time.perf_counter() - t0
            with lock:
                durations.append(elapsed)
                if status != 200:
                    failures.append(f"bulk ingest answered {status}: {content[:300]!r}")

    started = time.perf_counter()
    if clients == 1:
        run()  # in this thread: in-process, a thread would have a database connection of its own
    else:
        threads = [threading.Thread(target=run) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if failures:
        raise RuntimeError(failures[0])
    return time.perf_counter() - started, durations


def bench_ingest(
    *,
    total: int,
    seed: int,
    transport: str = "http",
    clients: int = 2,
    web: int = 2,
    alert_timeout: float = 30,
    batch: int = INGEST_BATCH,
    prefix: str = "bench",
    time_spike: bool = True,
) -> list[str]:
    """Run the ingest benchmark with ``batch``-item requests; returns the report lines.

    Run it again with another ``prefix`` (the mentions' external ids) to add new mentions, not redeliver.
    """
    from crisisdesk.apikeys.services import apikey_create
    from crisisdesk.bench.report import percentile
    from incidents.listening import services as mention_services
    from incidents.listening.models import Mention, SpikeRule, WatchTerm

    rng = random.Random(seed)
    user_model = get_user_model()
    admin = user_model.objects.filter(username="bench-ingest").first() or user_model.objects.create_superuser(
        "bench-ingest", "bench@example.org", BENCH_PASSWORD
    )
    _, raw_key = apikey_create(actor=admin, name="bench", scopes=["ingest", "read"], user=admin)
    term = WatchTerm.objects.filter(term__iexact="Acme").first() or mention_services.watch_term_add(
        actor=admin, term="Acme", kind="brand"
    )
    SpikeRule.objects.filter(name="bench spike").delete()
    rule = mention_services.spike_rule_save(
        actor=admin,
        data={"name": "bench spike", "watch_term": term, "window_minutes": 10, "min_count": 200, "volume_factor": 3},
    )
    path = reverse("api:mention-bulk")
    now = timezone.now()
    # The background: a week of quiet mentions before the spike window, built up front so only requests are timed.
    batches = background_batches(rng, total, end=now - timedelta(minutes=15), batch=batch, prefix=prefix)
    spike = json.dumps(
        {
            "mentions": mention_batch(
                rng,
                10**9,
                [now - timedelta(minutes=5) * rng.random() for _ in range(INGEST_BATCH)],
                negative=0.9,
                prefix=prefix,
            )
        }
    ).encode()

    processes = Processes()
    redis_url = _redis_url() if transport == "http" else ""
    try:
        if transport == "http":
            if connection.vendor != "postgresql" or "DATABASE_URL" not in os.environ:
                raise RuntimeError("the HTTP ingest bench needs PostgreSQL through DATABASE_URL (run `make bench`)")
            port = _free_port()
            env = processes.env(redis_url)
            if redis_url:
                processes.start(
                    "worker",
                    [sys.executable, "-m", "celery", "-A", "crisisdesk", "worker", "--concurrency", "1"]
                    + ["--without-mingle", "--without-gossip", "--loglevel", "INFO"],
                    env,
                    ready=lambda log: " ready." in log,
                )
            web_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(web)}
            processes.start(
                "gunicorn",
                [sys.executable, "-m", "gunicorn", "crisisdesk.wsgi", "-c", "gunicorn.conf.py"],
                web_env,
                ready=lambda _log: _port_open(port),
            )
            poster = HTTPPoster(port, path, raw_key)
            # Warm-up: imports, pools, the language models, first query plans, in *every* web process.
            # One request warmed one of them: the other then paid its start-up (~1 s, its first
            # request's URL and view imports) inside the timed run. From several threads at once, a
            # busy sync worker leaves the next request to another. The batch is stored again below.
            _post_all(poster, [batches[0]] * max(2 * web, clients), max(web, clients, 2))
            how = f"over HTTP to gunicorn ({web} processes), {clients} client threads, " + (
                "a Celery worker evaluating spikes meanwhile" if redis_url else "tasks eager (no Redis)"
            )
        else:
            poster = InProcessPoster(path, raw_key)
            clients = 1
            how = "in-process through django.test.Client, one at a time"
        rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "apikey": "1000000/min", "user": "1000000/min"}
        with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
            elapsed, durations = _post_all(poster, batches, clients)
            stored = Mention.objects.filter(external_id__startswith=f"{prefix}-").count()
            # Redelivery of the first batch: same rows, no duplicates.
            poster.post(batches[0])
            duplicates = Mention.objects.filter(external_id__startswith=f"{prefix}-").count() - stored
            alert_latency = None
            if time_spike:
                alert_latency = _time_spike(poster, spike, rule, redis_url=redis_url, alert_timeout=alert_timeout)
    finally:
        processes.stop()
    eager = not redis_url
    lines = [
        f"Bulk ingest ({how}): {stored:,} mentions in {len(batches)} requests of {batch:,} "
        f"in {elapsed:.1f} s = {total / elapsed:,.0f} mentions/s",
        f"Per {batch:,}-item request: p50 {percentile(durations, 50) * 1000:.0f} ms, "
        f"p95 {percentile(durations, 95) * 1000:.0f} ms, max {max(durations) * 1000:.0f} ms",
        f"Redelivery of a batch created {duplicates} duplicate(s)",
    ]
    if time_spike:
        lines.append(
            "Spike mention to alert: "
            + (f"{alert_latency:.2f} s" if alert_latency is not None else f"no alert within {alert_timeout:g} s")
            + (" (tasks eager, in the request)" if eager else " (through Redis and the Celery worker)")
        )
    return lines


def _time_spike(poster, body: bytes, rule, *, redis_url: str, alert_timeout: float) -> float | None:
    """Seconds from posting the spike until its alert exists (None: not within ``alert_timeout``)."""
    from incidents.listening.models import Alert

    before = Alert.objects.filter(rule=rule).count()
    # Past the debounce of the evaluations queued by the batches above, and past their runs:
    # the spike queues an evaluation of its own (the slow case: its whole countdown is timed).
    if redis_url:
        time.sleep(SETTLE_SECONDS)
    t0 = time.perf_counter()
    status, content = poster.post(body)
    if status != 200:
        raise RuntimeError(f"the spike request answered {status}: {content[:300]!r}")
    while time.perf_counter() - t0 < alert_timeout:
        if Alert.objects.filter(rule=rule).count() > before:
            return time.perf_counter() - t0
        time.sleep(0.02)
    return None
