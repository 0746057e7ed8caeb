"""manage.py bench on a small data set: the seed is consistent and every endpoint is measured."""

import random
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from crisisdesk.management.commands.bench import ROLE_HEADCOUNT, percentile, seed_incidents, seed_users
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


def test_bench_command_measures_every_endpoint_against_the_bare_view():
    out = StringIO()

    call_command("bench", incidents=150, requests=3, warmup=1, stdout=out)

    report = out.getvalue()
    for endpoint in ("bare Django view", "incident list page", "incident list API", "incident detail page"):
        assert report.count(endpoint) == 2, report  # once per persona
    assert "MISSING" not in report
    assert "Seeded 150 incidents" in report


def test_bench_refuses_to_seed_over_existing_incidents(incident):
    with pytest.raises(CommandError, match="already has incidents"):
        call_command("bench", incidents=10, requests=1, warmup=0, stdout=StringIO())

    assert Incident.objects.count() == 1


def test_percentile_is_nearest_rank():
    samples = [float(n) for n in range(1, 101)]

    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 95) == 95.0
    assert percentile([3.0], 95) == 3.0
