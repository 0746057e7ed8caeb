"""Races that only a real database with row locks can settle: run in the PostgreSQL pass of ``make test``.

Each test starts its threads on a barrier so the service calls really overlap, and every
thread closes its own database connection when done (Django opens one per thread).
"""

import re
import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.roles import COMMUNICATOR
from crisisdesk.testing.factories import UserFactory
from incidents import services
from incidents.models import Incident, ReferenceCounter, Status, TimelineEntry, TimelineKind

THREADS = 8
INCIDENTS_PER_THREAD = 5

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def run_in_threads(target, count: int = THREADS) -> tuple[list, list[BaseException]]:
    """Run ``target(index)`` in ``count`` threads released together; return results and errors."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = target(index)
        except BaseException as exc:  # noqa: BLE001 - the main thread reports every failure
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results, errors


def test_concurrent_openings_get_unique_consecutive_references():
    communicators = [UserFactory(username=f"comms{i}", role=COMMUNICATOR) for i in range(THREADS)]
    year = timezone.now().year

    def open_several(index: int) -> list[str]:
        return [
            services.incident_open(actor=communicators[index], title=f"Thread {index} incident {n}").reference
            for n in range(INCIDENTS_PER_THREAD)
        ]

    results, errors = run_in_threads(open_several)

    assert errors == []
    references = [ref for refs in results for ref in refs]
    total = THREADS * INCIDENTS_PER_THREAD
    assert len(references) == total
    assert len(set(references)) == total, Counter(references).most_common(3)
    assert all(re.fullmatch(rf"CD-{year}-\d{{4}}", ref) for ref in references), references
    assert sorted(int(ref.rsplit("-", 1)[1]) for ref in references) == list(range(1, total + 1))
    assert ReferenceCounter.objects.get(year=year).last_number == total
    assert Incident.objects.count() == total
    # Every opening wrote its timeline entry in the same transaction.
    assert TimelineEntry.objects.filter(kind=TimelineKind.OPENED).count() == total


def test_racing_status_changes_exactly_one_wins():
    communicators = [UserFactory(username=f"racer{i}", role=COMMUNICATOR) for i in range(THREADS)]
    incident = services.incident_open(actor=communicators[0], title="Influencer calls for a boycott")

    def investigate(index: int) -> str:
        services.incident_change_status(
            actor=communicators[index], incident=Incident.objects.get(pk=incident.pk), to_status=Status.INVESTIGATING
        )
        return "won"

    results, errors = run_in_threads(investigate)

    assert results.count("won") == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(error, InvalidTransition) for error in errors), errors
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    assert incident.acknowledged_at is not None
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.STATUS_CHANGE).count() == 1


def test_concurrent_spike_evaluations_fire_one_alert(team_lead):
    """Eight workers evaluate the same spiking rule at once: the rule's row lock lets one fire."""
    from datetime import timedelta

    import time_machine

    from incidents.listening import parsing, spikes
    from incidents.listening import services as mention_services
    from incidents.listening.models import Alert

    now = timezone.now()
    with time_machine.travel(now - timedelta(days=8)):
        term = mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")
    items = [
        {
            "platform": "x",
            "external_id": f"r-{i}",
            "text": "Acme jar exploded, dangerous",
            "posted_at": (now - timedelta(seconds=20 * i)).isoformat(),
        }
        for i in range(60)
    ]
    mentions, errors = parsing.parse_batch(items)
    assert errors == []
    mention_services.mentions_ingest(mentions=mentions, source="api")
    # The rule comes after the mentions, so the ingest's own (eager) evaluation cannot fire it first.
    rule = mention_services.spike_rule_save(
        actor=team_lead, data={"name": "Race", "watch_term": term, "min_count": 20, "cooldown_minutes": 60}
    )

    results, errors = run_in_threads(lambda i: len(spikes.rule_evaluate(rule=rule, now=now)))
    assert errors == []
    assert sorted(results) == [0] * (THREADS - 1) + [1]
    assert Alert.objects.filter(rule=rule).count() == 1
