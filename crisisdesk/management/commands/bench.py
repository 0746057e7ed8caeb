"""``manage.py bench``: seed a large data set, then time the incident pages against a bare Django view.

Run it through ``make bench``: a throwaway PostgreSQL cluster, production-like settings (DEBUG off).
Requests go through Django's test ``Client`` in this process: no web server, no network, no
static files — what is measured is Django's own work per request (URL routing, middleware,
session and user lookup, queries, template or serializer), which is what a change in our code moves.
The figure that matters is the ratio to the bare view measured in the same run on the same machine.
"""

import itertools
import json
import random
import statistics
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD
from incidents.models import (
    ACTIVE_STATUSES,
    Category,
    Channel,
    Incident,
    IncidentRole,
    Membership,
    ReferenceCounter,
    Severity,
    Status,
    TimelineEntry,
    TimelineKind,
)

BENCH_URLCONF = "crisisdesk.bench"
BENCH_PASSWORD = "bench-password"  # noqa: S105 - throwaway users in a throwaway database

# How many people of each role the organisation has.
ROLE_HEADCOUNT = {COMMUNICATOR: 24, LEGAL: 6, TEAM_LEAD: 8, OBSERVER: 12}

# Most incidents are small; a few are critical.
SEVERITY_WEIGHTS = {Severity.CRITICAL: 4, Severity.HIGH: 16, Severity.MEDIUM: 45, Severity.LOW: 35}
CATEGORY_WEIGHTS = {
    Category.VIRAL_COMPLAINT: 30,
    Category.PRODUCT_DEFECT: 18,
    Category.SERVICE_OUTAGE: 14,
    Category.MISINFORMATION: 10,
    Category.OFFENSIVE_CONTENT: 8,
    Category.EXECUTIVE_CONDUCT: 4,
    Category.DATA_BREACH: 4,
    Category.LEGAL_REGULATORY: 5,
    Category.OTHER: 7,
}
# Incidents detected in the last RECENT_DAYS are still being worked on; older ones are mostly closed.
RECENT_DAYS = 21
RECENT_STATUS_WEIGHTS = {
    Status.DETECTED: 8,
    Status.INVESTIGATING: 14,
    Status.RESPONDING: 18,
    Status.MONITORING: 20,
    Status.RESOLVED: 22,
    Status.CLOSED: 18,
}
OLD_STATUS_WEIGHTS = {Status.RESOLVED: 6, Status.CLOSED: 94}
CONFIDENTIAL_SHARE = 0.08
EXERCISE_SHARE = 0.03
HISTORY_DAYS = 3 * 365

# The path an incident took to reach each status (the workflow allows shortcuts; these are typical).
STATUS_PATHS = {
    Status.DETECTED: [],
    Status.INVESTIGATING: [Status.INVESTIGATING],
    Status.RESPONDING: [Status.INVESTIGATING, Status.RESPONDING],
    Status.MONITORING: [Status.INVESTIGATING, Status.RESPONDING, Status.MONITORING],
    Status.RESOLVED: [Status.INVESTIGATING, Status.RESPONDING, Status.MONITORING, Status.RESOLVED],
    Status.CLOSED: [Status.INVESTIGATING, Status.RESPONDING, Status.MONITORING, Status.RESOLVED, Status.CLOSED],
}

SUBJECTS = [
    "blender jar",
    "delivery delay",
    "app outage",
    "store manager",
    "recall rumour",
    "loyalty points",
    "price error",
    "customer data",
    "advert",
    "CEO interview",
    "supplier",
    "packaging",
]
EVENTS = [
    "Viral video about the {s}",
    "Influencer thread on the {s}",
    "Press enquiry about the {s}",
    "Boycott call over the {s}",
    "Fake screenshot of the {s}",
    "Angry review storm: {s}",
    "Forum leak about the {s}",
    "TV segment on the {s}",
]
NOTES = [
    "Legal reviewed the holding statement.",
    "Customer care moved the conversation to DMs.",
    "Mentions are slowing down.",
    "Decision: no comment until the facts are confirmed.",
    "Spokesperson briefed.",
    "Posted the approved reply on X and Facebook.",
    "Journalist called back; sent the statement.",
    "Le service client a repris contact avec la cliente.",
]


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def clamp(moment: datetime, now: datetime) -> datetime:
    return min(moment, now)


# --- bulk writing ------------------------------------------------------------------


def _column_values(model, rows: Iterable[dict], now: datetime) -> tuple[list[str], Iterator[list]]:
    """Turn row dicts into column lists; fields a row leaves out get their default (or ``now`` for auto times)."""
    rows = iter(rows)
    first = next(rows)
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.attname not in first)]
    defaults = {}
    for field in fields:
        if field.attname in first:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults[field.attname] = now
        elif field.has_default():
            defaults[field.attname] = field.get_default()
        else:
            defaults[field.attname] = None
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    vendor_prep = connection.vendor != "postgresql"

    def values(row: dict) -> list:
        out = []
        for field in fields:
            value = row.get(field.attname, defaults.get(field.attname))
            if field.attname in json_fields and value is not None:
                value = json.dumps(value)
            elif vendor_prep and value is not None:
                value = field.get_db_prep_save(value, connection)
            out.append(value)
        return out

    return [f.column for f in fields], (values(row) for row in itertools.chain([first], rows))


def bulk_insert(model, rows: Iterable[dict], *, now: datetime, batch_size: int = 20_000) -> int:
    """Insert many rows fast: COPY on PostgreSQL, batched INSERTs elsewhere. No signals, no ``save()``."""
    columns, values = _column_values(model, rows, now)
    table = connection.ops.quote_name(model._meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
                    count += 1
        else:
            # Table and column names come from the models (quoted), never from input.
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})"  # noqa: S608
            while batch := list(itertools.islice(values, batch_size)):
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


# --- the data set ------------------------------------------------------------------------


def seed_users() -> dict[str, list]:
    """People in every global role; the first communicator and team lead are the bench's logins."""
    User = get_user_model()
    password = make_password(BENCH_PASSWORD)
    by_role: dict[str, list] = {}
    for group_name, headcount in ROLE_HEADCOUNT.items():
        slug = group_name.lower().replace(" ", "-")
        users = User.objects.bulk_create(
            [
                User(username=f"bench-{slug}-{n:02d}", email=f"{slug}{n}@bench.example", password=password)
                for n in range(headcount)
            ]
        )
        group = Group.objects.get(name=group_name)
        User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=group.pk) for u in users])
        by_role[group_name] = users
    return by_role


def seed_incidents(*, count: int, users: dict[str, list], rng: random.Random, now: datetime) -> dict[str, int]:
    """``count`` incidents over three years with their timelines and crisis teams, written with COPY."""
    communicators = [u.pk for u in users[COMMUNICATOR]]
    leads = [u.pk for u in users[TEAM_LEAD]]
    legal = [u.pk for u in users[LEGAL]]
    roles = {role.code: role.pk for role in IncidentRole.objects.all()}
    channels = list(Channel.values)

    # References are numbered per year in detection order, as the service would have allocated them.
    detected = sorted(now - timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400)) for _ in range(count))
    first_id = (Incident.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1
    numbers: Counter = Counter()
    incidents, timeline, memberships = [], [], []
    for offset, detected_at in enumerate(detected):
        pk = first_id + offset
        numbers[detected_at.year] += 1
        recent = now - detected_at < timedelta(days=RECENT_DAYS)
        status = weighted(rng, RECENT_STATUS_WEIGHTS if recent else OLD_STATUS_WEIGHTS)
        severity = weighted(rng, SEVERITY_WEIGHTS)
        creator = rng.choice(communicators)
        lead = rng.choice(leads) if severity <= Severity.HIGH or rng.random() < 0.6 else None
        confidential = rng.random() < CONFIDENTIAL_SHARE

        # The clocks, in order; never in the future.
        times = {}
        moment = detected_at
        for step in STATUS_PATHS[status]:
            moment = clamp(moment + timedelta(minutes=rng.uniform(5, 60 * (24 if step == Status.CLOSED else 6))), now)
            times[step] = moment
        acknowledged_at = times.get(Status.INVESTIGATING)
        first_response = times.get(Status.RESPONDING)
        subject = rng.choice(SUBJECTS)
        incidents.append(
            {
                "id": pk,
                "reference": f"{settings.INCIDENT_REFERENCE_PREFIX}-{detected_at.year}-{numbers[detected_at.year]:04d}",
                "title": rng.choice(EVENTS).format(s=subject),
                "summary": f"First seen on {rng.choice(channels)}; {rng.randint(20, 20000)} shares so far.",
                "category": weighted(rng, CATEGORY_WEIGHTS),
                "severity": severity,
                "status": status,
                "source": f"https://social.example/post/{rng.randint(10**6, 10**9)}",
                "affected_channels": rng.sample(channels, rng.randint(1, 3)),
                "confidential": confidential,
                "is_exercise": rng.random() < EXERCISE_SHARE,
                "lead_id": lead,
                "created_by_id": creator,
                "detected_at": detected_at,
                "acknowledged_at": acknowledged_at,
                "first_public_response_at": first_response,
                "resolved_at": times.get(Status.RESOLVED),
                "closed_at": times.get(Status.CLOSED),
                "created_at": detected_at,
                "updated_at": moment,
            }
        )

        timeline.append(
            {
                "incident_id": pk,
                "kind": TimelineKind.OPENED,
                "body": f"Incident opened at severity {severity}.",
                "author_id": creator,
                "data": {"severity": severity, "status": Status.DETECTED},
                "created_at": detected_at,
            }
        )
        previous = Status.DETECTED
        for step, at in times.items():
            timeline.append(
                {
                    "incident_id": pk,
                    "kind": TimelineKind.STATUS_CHANGE,
                    "body": f"Status changed from {Status(previous).label} to {Status(step).label}.",
                    "author_id": lead or creator,
                    "data": {"from": previous, "to": step, "comment": ""},
                    "created_at": at,
                }
            )
            previous = step
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            timeline.append(
                {
                    "incident_id": pk,
                    "kind": TimelineKind.NOTE,
                    "body": rng.choice(NOTES),
                    "author_id": creator,
                    "data": {},
                    "created_at": clamp(detected_at + timedelta(minutes=rng.uniform(1, 600)), now),
                }
            )

        team = {(creator, roles["communications"])}
        if lead:
            team.add((lead, roles["lead"]))
        if confidential or severity <= Severity.HIGH:
            team.add((rng.choice(legal), roles["legal"]))
        memberships.extend(
            {"incident_id": pk, "user_id": user_id, "role_id": role_id, "added_by_id": creator, "added_at": detected_at}
            for user_id, role_id in team
        )

    with transaction.atomic():
        bulk_insert(Incident, incidents, now=now)
        bulk_insert(TimelineEntry, timeline, now=now)
        bulk_insert(Membership, memberships, now=now)
        for year, last in numbers.items():
            ReferenceCounter.objects.update_or_create(year=year, defaults={"last_number": last})
        if connection.vendor == "postgresql":
            # Rows were written with explicit ids: move the identity sequence past them.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('incidents_incident', 'id'), "
                    "(SELECT MAX(id) FROM incidents_incident))"
                )
    return {"incidents": len(incidents), "timeline entries": len(timeline), "memberships": len(memberships)}


# --- measuring -----------------------------------------------------------------------------


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample that ``pct`` % of samples do not exceed."""
    ordered = sorted(samples)
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def measure(client: Client, url: str, *, requests: int, warmup: int) -> dict:
    """Warm up, count the queries of one request, then time ``requests`` requests one after another."""
    for _ in range(warmup):
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"GET {url} answered {response.status_code}, expected 200")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Count now: the next request's request_started signal empties the connection's query log.
    query_count = len(queries)
    size = len(response.content)
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise CommandError(f"GET {url} answered {response.status_code}, expected 200")
    return {
        "p50": statistics.median(samples),
        "p95": percentile(samples, 95),
        "queries": query_count,
        "bytes": size,
    }


class Command(BaseCommand):
    """Seed 100,000 incidents, then time list page, list API and detail page against a bare view."""

    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, default=100_000, help="How many incidents to seed.")
        parser.add_argument("--requests", type=int, default=200, help="Timed requests per endpoint and persona.")
        parser.add_argument("--warmup", type=int, default=20, help="Untimed requests before timing each endpoint.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed of the data set.")
        parser.add_argument(
            "--reuse", action="store_true", help="Measure the incidents already in the database instead of seeding."
        )
        parser.add_argument(
            "--ingest",
            type=int,
            default=0,
            metavar="N",
            help="Instead of the pages: push N mentions through the bulk API (1,000 per request), "
            "report mentions/s and p95 per request, then time a spike from its mention to its alert.",
        )
        parser.add_argument(
            "--transport",
            choices=["http", "inprocess"],
            default="http",
            help="--ingest over real HTTP to gunicorn (default) or in-process through the test client.",
        )
        parser.add_argument(
            "--listen",
            type=int,
            default=0,
            metavar="SECONDS",
            help="Instead of the pages: a fake Jetstream through manage.py listen for SECONDS (crisisdesk/bench_listen.py).",
        )
        parser.add_argument("--listen-rate", type=int, default=2000, help="--listen: events per second offered.")
        parser.add_argument("--clients", type=int, default=2, help="--ingest: concurrent client threads.")
        parser.add_argument("--web", type=int, default=2, help="--ingest: gunicorn worker processes.")

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
        if options["ingest"]:
            from crisisdesk.bench_ingest import bench_ingest

            lines = bench_ingest(
                total=options["ingest"],
                seed=options["seed"],
                transport=options["transport"],
                clients=options["clients"],
                web=options["web"],
            )
            for line in lines:
                self.note(line)
            return

        if options["reuse"]:
            if not Incident.objects.exists():
                raise CommandError("--reuse: there are no incidents to measure.")
        else:
            if Incident.objects.exists():
                raise CommandError(
                    "This database already has incidents; the bench seeds an empty one. "
                    "Run it with `make bench` (a throwaway PostgreSQL), or pass --reuse to measure what is there."
                )
            self.seed(count=options["incidents"], seed=options["seed"])

        personas = self.personas()
        reference = self.detail_reference(personas[0][1])
        endpoints = [
            ("bare Django view", "bench-bare", {}),
            ("incident list page", "incidents:list", {}),
            ("incident list API", "api:incident-list", {}),
            ("incident detail page", "incidents:detail", {"reference": reference}),
        ]
        missing: list[str] = []
        rows = []
        # WhiteNoise warns that staticfiles/ is not collected: static files are not what is measured here.
        warnings.filterwarnings("ignore", message="No directory at")
        with override_settings(ROOT_URLCONF=BENCH_URLCONF):
            for persona, user in personas:
                client = Client()
                client.force_login(user)
                bare = None
                for label, url_name, kwargs in endpoints:
                    try:
                        url = reverse(url_name, kwargs=kwargs or None)
                    except NoReverseMatch:
                        if url_name not in missing:
                            missing.append(url_name)
                        rows.append((label, persona, None))
                        continue
                    result = measure(client, url, requests=options["requests"], warmup=options["warmup"])
                    result["url"] = url
                    if url_name == "bench-bare":
                        bare = result["p50"]
                    result["ratio"] = result["p50"] / bare if bare else None
                    rows.append((label, persona, result))

        self.print_table(rows, options)
        self.note(f"Total bench time {time.perf_counter() - started:.1f} s")
        if missing:
            raise CommandError(
                "Could not measure: URL name(s) " + ", ".join(repr(n) for n in missing) + " do not exist (yet). "
                "The bench measures them as soon as they are routed."
            )

    # --- steps ---------------------------------------------------------------------------

    def seed(self, *, count: int, seed: int) -> None:
        rng = random.Random(seed)
        now = timezone.now()
        t0 = time.perf_counter()
        users = seed_users()
        written = seed_incidents(count=count, users=users, rng=rng, now=now)
        t1 = time.perf_counter()
        if connection.vendor == "postgresql":
            # COPY leaves no planner statistics; without them the first plans would be guesses.
            # VACUUM (visibility map, for index-only scans) cannot run inside a transaction, e.g. in a test.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cursor:
                for model in (Incident, TimelineEntry, Membership):
                    cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
        t2 = time.perf_counter()
        self.note(
            "Seeded "
            + ", ".join(f"{n:,} {what}" for what, n in written.items())
            + f", {sum(len(u) for u in users.values())} users in {t1 - t0:.1f} s (statistics {t2 - t1:.1f} s)"
        )
        statuses = Counter(Incident.objects.values_list("status", flat=True).iterator())
        self.note(
            "Status: "
            + ", ".join(f"{s} {statuses[s]:,}" for s in Status.values)
            + f"; confidential {Incident.objects.filter(confidential=True).count():,}"
            + f"; active {Incident.objects.filter(status__in=ACTIVE_STATUSES).count():,}"
        )

    def personas(self) -> list[tuple[str, object]]:
        User = get_user_model()
        found = []
        for label, group in (("communicator", COMMUNICATOR), ("team lead", TEAM_LEAD)):
            user = User.objects.filter(groups__name=group, is_active=True).order_by("username").first()
            if user is None:
                raise CommandError(f"No active user with the role {group} to log in as.")
            found.append((f"{label} ({user.username})", user))
        return found

    def detail_reference(self, user) -> str:
        """The most recent active incident the communicator can see: the war room people keep open."""
        incident = (
            Incident.objects.visible_to(user).filter(status__in=ACTIVE_STATUSES).order_by("-detected_at").first()
            or Incident.objects.visible_to(user).order_by("-detected_at").first()
        )
        if incident is None:
            raise CommandError("The communicator can see no incident.")
        self.note(f"Detail page: {incident.reference} ({incident.timeline.count()} timeline entries)")
        return incident.reference

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

    def print_table(self, rows, options) -> None:
        self.stdout.write("")
        self.stdout.write(
            f"{options['requests']} timed requests per row after {options['warmup']} warm-up requests, one at a time, "
            "through django.test.Client in-process (no HTTP server, no network; full middleware; DEBUG off). "
            "Queries: one request, counted with CaptureQueriesContext. "
            "The test client keeps its database connection between requests, so no pool checkout is timed."
        )
        header = f"{'endpoint':<22} {'persona':<34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>7} {'x bare':>7} {'KiB':>7}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for label, persona, result in rows:
            if result is None:
                self.stdout.write(f"{label:<22} {persona:<34} {'MISSING: URL name not defined':>41}")
                continue
            ratio = f"{result['ratio']:.1f}" if result["ratio"] else "-"
            self.stdout.write(
                f"{label:<22} {persona:<34} {result['p50']:>8.2f} {result['p95']:>8.2f} {result['queries']:>7} "
                f"{ratio:>7} {result['bytes'] / 1024:>7.1f}"
            )
        self.stdout.write("")
