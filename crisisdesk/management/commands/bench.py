"""``manage.py bench``: seed a large data set, then measure the hot pages against a bare Django view over HTTP.

Run it through ``make bench``: a throwaway PostgreSQL cluster (and Redis), production-like settings
(DEBUG off). The bench starts gunicorn with the project's ``gunicorn.conf.py`` (2 sync workers) and
requests every target over real HTTP, a new connection per request, interleaved with the bare
``JsonResponse`` view served by the same deployment in the same run. Per target it prints p50/p95,
SQL per request (counted from PostgreSQL's statement log) and the ratio to the bare view, at each
``--incidents`` size (1k then 100k by default, with ``--mentions`` mentions for the inbox); then 50
concurrent clients on the war room, worker memory after 2,000 requests, and bulk ingest throughput.
The pieces live in ``crisisdesk/bench/`` (data, http, targets, report); see docs/bench.md.
"""

import logging
import random
import signal
import time
import warnings
from collections import Counter

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from crisisdesk.bench import data
from crisisdesk.bench.data import seed_incidents, seed_users
from crisisdesk.bench.http import HTTPTransport, InProcessTransport
from crisisdesk.bench.report import concurrency_line, page_table, rss_line
from crisisdesk.bench.targets import (
    BARE,
    WAR_ROOM,
    BenchError,
    build_targets,
    measure_concurrency,
    measure_pages,
    measure_rss,
)
from incidents.models import ACTIVE_STATUSES, Incident, Membership, Status, TimelineEntry

PARTS = ("pages", "concurrency", "rss", "ingest")


def _exit_on_term(signum, frame):
    raise SystemExit(128 + signum)


class Command(BaseCommand):
    """Seed incidents and mentions, then measure pages, concurrency, worker memory and bulk ingest."""

    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument(
            "--incidents",
            type=int,
            nargs="+",
            default=[1000, 100_000],
            metavar="N",
            help="Data set sizes, measured one after the other (the data set grows; default 1000 100000).",
        )
        parser.add_argument(
            "--mentions", type=int, default=1_000_000, help="Mentions seeded for the inbox (default 1,000,000)."
        )
        parser.add_argument(
            "--reviews", type=int, default=20, help="Statements submitted for review (the review queue's rows)."
        )
        parser.add_argument(
            "--long-timeline",
            type=int,
            default=2000,
            metavar="N",
            help="Notes added to one more incident, whose war room is measured too (0: none).",
        )
        parser.add_argument("--requests", type=int, default=200, help="Timed requests per target and size.")
        parser.add_argument("--warmup", type=int, default=20, help="Untimed rounds over every target first.")
        parser.add_argument("--count-requests", type=int, default=3, help="Requests per target in the SQL pass.")
        parser.add_argument(
            "--show-sql", action="store_true", help="Print each target's statements (one request, as logged)."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed of the data set.")
        parser.add_argument(
            "--reuse", action="store_true", help="Measure the data already in the database instead of seeding."
        )
        parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS), help="Parts to run (all).")
        parser.add_argument("--concurrency", type=int, default=50, help="Concurrent clients on the war room.")
        parser.add_argument("--duration", type=float, default=30, help="Seconds of the concurrency run.")
        parser.add_argument("--rss-requests", type=int, default=2000, help="Requests before worker RSS is read.")
        parser.add_argument(
            "--ingest", type=int, default=20_000, metavar="N", help="Mentions per bulk-ingest run (0: none)."
        )
        parser.add_argument(
            "--batch-sizes", type=int, nargs="+", default=[1000, 200], help="Bulk-ingest request sizes."
        )
        parser.add_argument("--clients", type=int, default=4, help="Bulk-ingest concurrent client threads.")
        parser.add_argument("--web", type=int, default=2, help="gunicorn worker processes.")
        parser.add_argument(
            "--transport",
            choices=["http", "inprocess"],
            default="http",
            help="Real HTTP to gunicorn (default) or in-process through the test client (the test suite).",
        )
        parser.add_argument(
            "--listen",
            type=int,
            default=0,
            metavar="SECONDS",
            help="Instead: a fake Jetstream through manage.py listen for SECONDS (crisisdesk/bench_listen.py).",
        )
        parser.add_argument("--listen-rate", type=int, default=2000, help="--listen: events per second offered.")

    def handle(self, *args, **options):
        started = time.perf_counter()
        self.note(f"Database: {connection.vendor} {self.db_version()}; DEBUG={settings.DEBUG}")
        if connection.vendor != "postgresql":
            self.stdout.write(self.style.WARNING("Not PostgreSQL: figures do not represent production."))
        call_command("migrate", interactive=False, verbosity=0)
        if options["listen"]:
            from crisisdesk.bench_listen import bench_listen

            for line in bench_listen(seconds=options["listen"], rate=options["listen_rate"], seed=options["seed"]):
                self.note(line)
            return
        # The sessions the bench makes are sign-ins: axes would log each one.
        logging.getLogger("axes").setLevel(logging.WARNING)
        # WhiteNoise warns that staticfiles/ is not collected: static files are not what is measured here.
        warnings.filterwarnings("ignore", message="No directory at")
        parts = set(options["only"])
        # A TERM (make interrupted, scripts/with-postgres.sh cleaning up) unwinds the stack, so the
        # gunicorn and Celery processes the bench started are stopped, not orphaned.
        previous = signal.signal(signal.SIGTERM, _exit_on_term)
        try:
            if parts - {"ingest"}:
                self.pages(options, parts)
            if "ingest" in parts and options["ingest"]:
                self.ingest(options)
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.note(f"Total bench time {time.perf_counter() - started:.1f} s")

    # --- steps ---------------------------------------------------------------------------

    def pages(self, options, parts) -> None:
        rng = random.Random(options["seed"])
        if options["reuse"]:
            if not Incident.objects.exists():
                raise CommandError("--reuse: there are no incidents to measure.")
            sizes = [Incident.objects.count()]
        else:
            if Incident.objects.exists():
                raise CommandError(
                    "This database already has incidents; the bench seeds an empty one. "
                    "Run it with `make bench` (a throwaway PostgreSQL), or pass --reuse to measure what is there."
                )
            sizes = sorted(options["incidents"])
        transport_class = HTTPTransport if options["transport"] == "http" else InProcessTransport
        users = None
        long_incident = None
        for index, size in enumerate(sizes):
            if not options["reuse"]:
                users = self.seed(size - Incident.objects.count(), rng=rng, users=users)
                if index == 0:
                    if options["mentions"]:
                        self.seed_mentions(options["mentions"], rng=rng)
                    if options["reviews"]:
                        # The reviewers' e-mails stay in memory (the console backend would print them all).
                        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                            submitted = data.seed_reviews(count=options["reviews"])
                        self.note(f"Submitted {submitted} statements for review")
                    if options["long_timeline"]:
                        long_incident = self.seed_long_timeline(options["long_timeline"], rng=rng)
            targets, incident = build_targets(long_incident)
            self.note(
                f"War room: {incident.reference} ({incident.timeline.count()} timeline entries, "
                f"{incident.memberships.count()} members)"
            )
            transport = transport_class(web=options["web"])
            transport.start()
            try:
                self.note(f"Targets {transport.describe()}.")
                if "pages" in parts:
                    rows = measure_pages(
                        transport,
                        targets,
                        requests=options["requests"],
                        warmup=options["warmup"],
                        count=options["count_requests"],
                    )
                    self.note("")
                    self.note(
                        f"{options['requests']} interleaved rounds after {options['warmup']} warm-up rounds; "
                        f"SQL and tx (transaction statements) per request over {options['count_requests']} "
                        "requests; x bare = p50 / p50 of the bare view."
                    )
                    label = f"{Incident.objects.count():,} incidents, {self.mention_count():,} mentions"
                    for line in page_table(label, rows):
                        self.note(line)
                    self.note("")
                    if options["show_sql"]:
                        self.show_sql(rows)
                last = index == len(sizes) - 1
                if last and "concurrency" in parts and options["concurrency"] and options["duration"]:
                    war_room = next(t for t in targets if t["target"] == WAR_ROOM)
                    result = measure_concurrency(
                        transport, war_room, clients=options["concurrency"], duration=options["duration"]
                    )
                    self.note(concurrency_line(result))
                    if result["error_sample"]:
                        self.note(f"  first errors: {', '.join(result['error_sample'])}")
            finally:
                transport.stop()
            if index == len(sizes) - 1 and "rss" in parts and options["rss_requests"]:
                self.rss(transport_class, targets, options)

    def show_sql(self, rows) -> None:
        for row in rows:
            self.note(f"-- {row['target']}, {row['persona']}: {len(row['statements'])} statements")
            for statement in row["statements"]:
                self.note("   " + " ".join(statement.split())[:300])
        self.note("")

    def rss(self, transport_class, targets, options) -> None:
        """Fresh one-worker servers without recycling: one serves only the bare view, one every target."""
        bare = [t for t in targets if t["target"] == BARE]
        for label, served in (("bare view only", bare), ("every target", targets)):
            transport = transport_class(web=1, max_requests=0)
            transport.start()
            try:
                result = measure_rss(transport, served, requests=options["rss_requests"])
            finally:
                transport.stop()
            self.note(rss_line(result) + f" [{label}]")

    def ingest(self, options) -> None:
        from crisisdesk.bench_ingest import bench_ingest

        for n, batch in enumerate(options["batch_sizes"]):
            lines = bench_ingest(
                total=options["ingest"],
                seed=options["seed"] + n,
                transport=options["transport"],
                clients=options["clients"],
                web=options["web"],
                batch=batch,
                prefix=f"ingest{batch}",
                # The first run's spike is in the next one's baseline window: time the alert once.
                time_spike=n == 0,
            )
            for line in lines:
                self.note(line)

    def seed(self, count: int, *, rng: random.Random, users):
        now = timezone.now()
        t0 = time.perf_counter()
        users = users or seed_users()
        written = seed_incidents(count=max(count, 0), users=users, rng=rng, now=now) if count > 0 else {}
        t1 = time.perf_counter()
        self.analyze(Incident, TimelineEntry, Membership)
        t2 = time.perf_counter()
        self.note(
            "Seeded "
            + ", ".join(f"{n:,} {what}" for what, n in written.items())
            + f" in {t1 - t0:.1f} s (statistics {t2 - t1:.1f} s)"
        )
        statuses = Counter(Incident.objects.values_list("status", flat=True).iterator())
        self.note(
            "Status: "
            + ", ".join(f"{s} {statuses[s]:,}" for s in Status.values)
            + f"; confidential {Incident.objects.filter(confidential=True).count():,}"
            + f"; active {Incident.objects.filter(status__in=ACTIVE_STATUSES).count():,}"
        )
        return users

    def seed_mentions(self, count: int, *, rng: random.Random) -> None:
        from incidents.listening.models import Mention

        t0 = time.perf_counter()
        written = data.seed_mentions(count=count, rng=rng, now=timezone.now())
        t1 = time.perf_counter()
        self.analyze(Mention)
        self.note(f"Seeded {written:,} mentions in {t1 - t0:.1f} s (statistics {time.perf_counter() - t1:.1f} s)")

    def seed_long_timeline(self, count: int, *, rng: random.Random) -> Incident:
        war_room = build_targets()[1]
        incident = Incident.objects.filter(confidential=False).exclude(pk=war_room.pk).order_by("-detected_at").first()
        if incident is None:
            raise CommandError("No second incident to give a long timeline to.")
        written = data.seed_long_timeline(incident, count=count, rng=rng, now=timezone.now())
        self.analyze(TimelineEntry)
        self.note(f"Long timeline: {written:,} notes added to {incident.reference}")
        return incident

    def analyze(self, *models) -> None:
        if connection.vendor != "postgresql":
            return
        # COPY leaves no planner statistics; without them the first plans would be guesses.
        # VACUUM (visibility map, for index-only scans) cannot run inside a transaction, e.g. in a test.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")

    def mention_count(self) -> int:
        from incidents.listening.models import Mention

        return Mention.objects.count()

    # --- output ----------------------------------------------------------------------------

    def note(self, text: str) -> None:
        self.stdout.write(text)

    def db_version(self) -> str:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SHOW server_version")
            elif connection.vendor == "sqlite":
                cursor.execute("SELECT sqlite_version()")
            else:
                return ""
            return cursor.fetchone()[0]
