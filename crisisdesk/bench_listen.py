"""``make bench BENCH_ARGS="--listen SECONDS"``: a fake Jetstream at a realistic rate through ``manage.py listen``.

The bench process serves a local Jetstream WebSocket (``FakeJetstream``) sending ``--listen-rate``
commit events per second (default 2,000, about the full Bluesky post stream), 1 % of them
mentioning a watch term, with ``time_us`` the real send time. It creates one ``bluesky_jetstream``
source pointed at it and runs ``manage.py listen`` as a separate process on the same database,
like production. Every second it samples the listener's RSS and the lag (now minus the stored
cursor); after ``SECONDS`` it sends SIGTERM (the listener records its last batch) and reports
events/s handled, matched mentions/s stored, lag (p50/max) and RSS (max).
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model

from crisisdesk.bench.http import rss_kib
from incidents.listening.models import Mention, WatchTerm
from incidents.listening.sources.fakes.jetstream import FakeJetstream, post_event
from incidents.listening.sources.models import Source, SourceKind

WORDS = [
    "the",
    "a",
    "phone",
    "service",
    "great",
    "today",
    "love",
    "hate",
    "update",
    "new",
    "release",
    "battery",
    "shipping",
    "support",
]


def _events(rate: int, match_share: float, seed: int):
    rng = random.Random(seed)

    def generate(_cursor):
        n = 0
        while True:
            n += 1
            text = " ".join(rng.choice(WORDS) for _ in range(12))
            if rng.random() < match_share:
                text += " benchacme"
            yield post_event(f"did:plc:bench{n % 5000}", f"k{n}", time.time_ns() // 1000, text=text)

    return generate


def bench_listen(*, seconds: int, rate: int = 2000, match_share: float = 0.01, seed: int = 2026) -> list[str]:
    user = get_user_model().objects.filter(is_superuser=True).first()
    WatchTerm.objects.get_or_create(term="benchacme", defaults={"created_by": user})
    Source.objects.filter(kind=SourceKind.BLUESKY_JETSTREAM).update(enabled=False)
    before = Mention.objects.filter(platform="bluesky").count()
    fake = FakeJetstream(rate=rate, generator=_events(rate, match_share, seed)).start()
    source = Source.objects.create(
        name="bench jetstream", kind=SourceKind.BLUESKY_JETSTREAM, config={"base_url": fake.url}
    )
    manage = Path(__file__).resolve().parent.parent / "manage.py"
    process = subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, str(manage), "listen", "--heartbeat-seconds", "5"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lags, rss = [], []
    started = time.monotonic()
    try:
        while time.monotonic() - started < seconds:
            time.sleep(1)
            rss.append(rss_kib(process.pid))
            source.refresh_from_db(fields=["cursor"])
            cursor = (source.cursor or {}).get("time_us")
            if cursor:
                lags.append(time.time() - cursor / 1_000_000)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        fake.stop()
    stored = Mention.objects.filter(platform="bluesky").count() - before
    source.refresh_from_db()
    Source.objects.filter(pk=source.pk).update(enabled=False)
    streamed = max(fake.last_sent_at - fake.first_sent_at, 1e-6)
    lags.sort()
    p50 = lags[len(lags) // 2] if lags else float("nan")
    return [
        f"Jetstream fake: {rate} events/s offered, {match_share:.0%} matching, {seconds} s",
        f"listen exit code {process.returncode}; {fake.sent} events handled in {streamed:.1f} s connected "
        f"-> {fake.sent / streamed:.0f} events/s",
        f"matched mentions stored {stored} -> {stored / streamed:.1f}/s",
        f"lag (now - stored cursor): p50 {p50:.2f} s, max {max(lags) if lags else float('nan'):.2f} s",
        f"listen RSS max {max(rss) / 1024 if rss else 0:.0f} MiB",
    ]
