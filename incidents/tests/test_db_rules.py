"""The database itself refuses impossible rows, whatever Python code (or raw SQL) tries: on SQLite and PostgreSQL."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from crisisdesk.testing.factories import FactFactory, IncidentFactory, TimelineEntryFactory
from incidents.models import Fact, Incident, Status, TimelineEntry

pytestmark = pytest.mark.django_db


def test_timeline_rejects_raw_sql_update(incident):
    entry = TimelineEntryFactory(incident=incident, body="Statement approved by legal.")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE incidents_timelineentry SET body = %s WHERE id = %s", ["Nothing happened.", entry.pk])

    entry.refresh_from_db()
    assert entry.body == "Statement approved by legal."


def test_timeline_rejects_orm_update_and_resave(incident):
    entry = TimelineEntryFactory(incident=incident, body="Decision: no comment for now.")

    with pytest.raises(TypeError, match="append-only"):
        TimelineEntry.objects.filter(pk=entry.pk).update(body="Decision: apologise.")
    entry.body = "Decision: apologise."
    with pytest.raises(TypeError, match="append-only"):
        entry.save()

    assert TimelineEntry.objects.get(pk=entry.pk).body == "Decision: no comment for now."


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        (
            {"status": Status.CLOSED, "acknowledged_at": timezone.now(), "resolved_at": timezone.now()},
            "closed_has_time",
        ),
        ({"status": Status.RESOLVED, "acknowledged_at": timezone.now()}, "resolved_has_time"),
        ({"status": Status.INVESTIGATING}, "past_detected_is_acknowledged"),
        ({"status": "panicking", "acknowledged_at": timezone.now()}, "status_valid"),
        ({"severity": 0}, "severity_1_to_4"),
        ({"severity": 5}, "severity_1_to_4"),
        ({"category": "gossip"}, "category_valid"),
    ],
)
def test_incident_check_constraints_reject_impossible_rows(incident, changes, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(**changes)

    incident.refresh_from_db()
    assert incident.status == Status.DETECTED
    assert incident.severity == 3


def test_a_consistent_closed_row_is_accepted(incident):
    """The constraints forbid impossible rows only: a closed incident with all its times is fine."""
    now = timezone.now()
    Incident.objects.filter(pk=incident.pk).update(
        status=Status.CLOSED, acknowledged_at=now, resolved_at=now, closed_at=now
    )

    assert Incident.objects.get(pk=incident.pk).status == Status.CLOSED


def test_fact_verified_without_time_is_rejected():
    fact = FactFactory(incident=IncidentFactory())

    with pytest.raises(IntegrityError, match="fact_verified_has_time"), transaction.atomic():
        Fact.objects.filter(pk=fact.pk).update(status="confirmed")

    with pytest.raises(IntegrityError, match="fact_status_valid"), transaction.atomic():
        Fact.objects.filter(pk=fact.pk).update(status="rumour", verified_at=timezone.now())

    fact.refresh_from_db()
    assert fact.status == "unverified"


def test_timeline_kind_must_be_known(incident):
    with pytest.raises(IntegrityError, match="timeline_kind_valid"), transaction.atomic():
        TimelineEntry.objects.create(incident=incident, kind="gossip", body="Heard it somewhere.")

    assert not TimelineEntry.objects.filter(incident=incident).exists()
