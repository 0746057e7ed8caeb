"""manage.py bench on a small data set: the seed is consistent and every endpoint is measured."""

import random
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from crisisdesk.bench.data import ROLE_HEADCOUNT, seed_incidents, seed_users
from crisisdesk.bench.report import percentile
from incidents import services
from incidents.models import Incident, Membership, ReferenceCounter, Status, TimelineEntry, TimelineKind

pytestmark = pytest.mark.django_db


def test_seed_writes_consistent_incidents_timelines_and_teams():
    users = seed_users()
    written = seed_incidents(count=400, users=users, rng=random.Random(7), now=timezone.now())

    assert {role: len(people) for role, people in users.items()} == ROLE_HEADCOUNT
    assert written["incidents"] == Incident.objects.count() == 400
    assert written["timeline entries"] == TimelineEntry.objects.count()
    assert written["memberships"] == Membership.objects.count()
    references = list(Incident.objects.values_list("reference", flat=True))
    assert len(set(references)) == 400
    # Every incident has its opening entry and one status change per step it took.
    assert TimelineEntry.objects.filter(kind=TimelineKind.OPENED).count() == 400
    statuses = Counter(Incident.objects.values_list("status", flat=True))
    assert statuses[Status.CLOSED] > statuses[Status.DETECTED]
    assert Incident.objects.filter(confidential=True).exists()
    assert not Incident.objects.filter(confidential=True, memberships__isnull=True).exists()
    # The counters continue where the seed stopped, so the service allocates the next free number.
    year = timezone.now().year
    last = ReferenceCounter.objects.get(year=year).last_number
    assert last == Incident.objects.filter(reference__startswith=f"CD-{year}-").count()
    opened = services.incident_open(actor=users["Communicator"][0], title="After the seed")
    assert opened.reference == f"CD-{year}-{last + 1:04d}"


TARGETS = (
    "bare Django view",
    "API list of 20",
    "API detail",
    "incident list page",
    "war room",
    "review queue",
    "mention inbox",
    "dashboard",
)
ROW = re.compile(
    r"^(?P<target>.{24}) (?P<persona>.{48}) +(?P<p50>[\d.]+) +(?P<p95>[\d.]+) +(?P<sql>[\d.]+) +(?P<tx>[\d.]+) +(?P<ratio>[\d.]+) +[\d.]+$"
)


def page_rows(report: str) -> list[dict]:
    return [m.groupdict() for line in report.splitlines() if (m := ROW.match(line))]


def test_bench_smoke_run_reports_every_target_at_every_size():
    out = StringIO()

    call_command(
        "bench",
        incidents=[60, 120],
        mentions=300,
        long_timeline=30,
        requests=2,
        warmup=1,
        count_requests=1,
        concurrency=50,
        duration=0.2,
        rss_requests=5,
        transport="inprocess",
        only=["pages", "concurrency", "rss"],
        stdout=out,
    )

    report = out.getvalue()
    assert report.count("Seeded 60 incidents") == 2  # 60, then 60 more to reach 120
    assert "Seeded 300 mentions" in report
    assert re.search(r"^Submitted \d+ statements for review$", report, re.M)
    assert "== 60 incidents, 300 mentions" in report
    assert "== 120 incidents, 300 mentions" in report
    rows = page_rows(report)
    # Every target at both sizes; the war room once per persona, and the long one.
    assert len(rows) == 2 * (len(TARGETS) + 3 + 1), report
    long_war_room = re.compile(r"^war room \d+ entries$")
    counts = Counter(row["target"].strip() for row in rows if not long_war_room.match(row["target"].strip()))
    assert counts == {target: 2 * (4 if target == "war room" else 1) for target in TARGETS}, counts
    long_rows = [row for row in rows if long_war_room.match(row["target"].strip())]
    assert len(long_rows) == 2 and all(int(row["target"].split()[2]) >= 30 for row in long_rows), long_rows
    assert re.search(r"^Long timeline: 30 notes added to CD-\d{4}-\d{4}$", report, re.M)
    war_room_personas = {row["persona"].split(" (")[0] for row in rows if row["target"].strip() == "war room"}
    assert war_room_personas == {"communicator", "legal", "team lead", "observer"}
    bare = [row for row in rows if row["target"].strip() == "bare Django view"]
    assert all(row["ratio"] == "1.0" and row["sql"] == "0" for row in bare), bare
    # Every real page reads the database.
    assert all(float(row["sql"]) > 0 for row in rows if row["target"].strip() != "bare Django view"), rows
    assert re.search(
        r"^Concurrency: 1 clients on war room .*: [\d,]+ requests, 0 errors, p50 \d+ ms, p95 \d+ ms", report, re.M
    )
    assert re.search(r"^Worker RSS after 5 requests: \d+ MiB .*\[bare view only\]$", report, re.M)
    assert re.search(r"^Worker RSS after 5 requests: \d+ MiB .*\[every target\]$", report, re.M)


def test_bench_ingest_runs_every_batch_size():
    out = StringIO()

    call_command("bench", only=["ingest"], ingest=400, batch_sizes=[200, 100], transport="inprocess", stdout=out)

    report = out.getvalue()
    assert "400 mentions in 2 requests of 200" in report
    assert "400 mentions in 4 requests of 100" in report
    assert report.count("created 0 duplicate(s)") == 2
    # The alert is timed once: the first run's spike is in the second one's baseline.
    assert report.count("Spike mention to alert: ") == 1


def test_bench_refuses_to_seed_over_existing_incidents(incident):
    with pytest.raises(CommandError, match="already has incidents"):
        call_command("bench", incidents=10, requests=1, warmup=0, stdout=StringIO())

    assert Incident.objects.count() == 1


def test_percentile_is_nearest_rank():
    samples = [float(n) for n in range(1, 101)]

    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 95) == 95.0
    assert percentile([3.0], 95) == 3.0


def test_seed_reviews_puts_statements_in_the_legal_review_queue():
    from crisisdesk.bench.data import seed_reviews
    from crisisdesk.review.selectors import waiting_for
    from incidents.statements.models import Statement

    users = seed_users()
    seed_incidents(count=400, users=users, rng=random.Random(7), now=timezone.now())

    submitted = seed_reviews(count=3)

    assert submitted == Statement.objects.count() > 0
    assert len(waiting_for(users["Legal"][0])) > 0


def test_statements_are_classified_as_queries_or_the_rest():
    from crisisdesk.bench.http import classify

    statements = [
        "",
        "BEGIN",
        "SELECT set_config('TimeZone', $1, false)",
        'SELECT "auth_user"."id"',
        "UPDATE x",
        "COMMIT",
    ]
    assert classify(statements) == {"sql": 2, "tx": 4}
