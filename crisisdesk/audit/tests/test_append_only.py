"""Append-only tables refuse UPDATE, DELETE and TRUNCATE in the database; only the maintenance switch may purge."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test import TransactionTestCase
from django.urls import reverse
from django.utils import timezone

from crisisdesk.audit.models import AuditRecord
from crisisdesk.audit.purge import purge_is_permitted, purge_permitted
from crisisdesk.audit.services import audit_record
from crisisdesk.review.models import AuditEvent, ReviewDecision, ReviewStatus, Revision
from crisisdesk.review.tests.helpers import statement_in
from crisisdesk.roles import COMMUNICATOR
from crisisdesk.testing.factories import UserFactory
from incidents import services as incident_services
from incidents.models import Incident, TimelineEntry

pytestmark = pytest.mark.django_db

TABLES = {
    "incidents_timelineentry": TimelineEntry,
    "review_revision": Revision,
    "review_reviewdecision": ReviewDecision,
    "review_auditevent": AuditEvent,
    "audit_auditrecord": AuditRecord,
}


@pytest.fixture
def history(incident, communicator, legal, team_lead):
    """A row in every append-only table: a timeline, an approved statement's review history, an audit record."""
    incident_services.timeline_add_note(actor=communicator, incident=incident, body="Call with the retailer.")
    statement_in(
        ReviewStatus.APPROVED,
        author=communicator,
        reviewer=legal,
        publisher=communicator,
        withdrawer=team_lead,
        incident=incident,
    )
    with transaction.atomic():
        audit_record(actor=team_lead, action="test.change", target=incident, from_state="a", to_state="b")
    for model in TABLES.values():
        assert model.objects.exists(), model
    return incident


def _execute(sql: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize("table", list(TABLES))
def test_raw_delete_is_refused(history, table):
    count = TABLES[table].objects.count()
    with pytest.raises(DatabaseError, match="append-only"):
        _execute(f"DELETE FROM {table}")  # noqa: S608 - constant table names
    assert TABLES[table].objects.count() == count


@pytest.mark.parametrize("table", list(TABLES))
def test_raw_update_is_refused(history, table):
    column = "at" if table == "audit_auditrecord" else "created_at"
    with pytest.raises(DatabaseError, match="append-only"):
        _execute(f"UPDATE {table} SET {column} = %s", [timezone.now()])  # noqa: S608


@pytest.mark.postgres_only
@pytest.mark.parametrize("table", list(TABLES))
def test_truncate_is_refused_on_postgresql(history, table):
    count = TABLES[table].objects.count()
    # The rows were written in this test's transaction: check their deferred foreign keys now, since
    # PostgreSQL refuses to TRUNCATE a table with pending trigger events.
    _execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"):
        _execute(f"TRUNCATE {table} CASCADE")
    assert TABLES[table].objects.count() == count


def test_deleting_an_incident_does_not_cascade_through_its_timeline(history):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TimelineEntry.objects.filter(incident=history).delete()
    assert TimelineEntry.objects.filter(incident=history).exists()


def test_a_permitted_purge_deletes_and_is_audited(history, admin_user):
    with purge_permitted(reason="maintenance test", actor=admin_user):
        assert purge_is_permitted()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM incidents_timelineentry")
            cursor.execute("DELETE FROM audit_auditrecord")
    assert not TimelineEntry.objects.exists()
    # The switch closes with its block: the record of the purge itself is append-only again.
    assert not purge_is_permitted()
    purge = AuditRecord.objects.get()
    assert (purge.action, purge.actor, purge.comment) == ("maintenance.purge", admin_user, "maintenance test")
    with pytest.raises(DatabaseError, match="append-only"):
        _execute("DELETE FROM audit_auditrecord")


def test_a_permitted_purge_still_refuses_update(history):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        purge_permitted(reason="test", audit=False),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE incidents_timelineentry SET body = 'rewritten'")
    assert not purge_is_permitted()


def test_a_failed_purge_rolls_back_and_closes_the_switch(history):
    with pytest.raises(RuntimeError), purge_permitted(reason="test"):
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM incidents_timelineentry")
        raise RuntimeError("boom")
    assert TimelineEntry.objects.exists()
    assert not purge_is_permitted()
    assert not AuditRecord.objects.filter(action="maintenance.purge").exists()


@pytest.mark.postgres_only
def test_a_permitted_purge_may_truncate_on_postgresql(history):
    _execute("SET CONSTRAINTS ALL IMMEDIATE")
    with purge_permitted(reason="test", audit=False), connection.cursor() as cursor:
        cursor.execute("TRUNCATE incidents_timelineentry")
    assert not TimelineEntry.objects.exists()


def test_a_purge_needs_a_reason():
    with pytest.raises(ValueError), purge_permitted(reason=""):
        pass


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_transactional_tests_can_still_flush(incident, communicator):
    """This test's teardown flushes every table, the append-only ones included (crisisdesk.testing.purge)."""
    incident_services.timeline_add_note(actor=communicator, incident=incident, body="Flushed after this test.")
    assert TimelineEntry.objects.exists() and not purge_is_permitted()
    assert TransactionTestCase._fixture_teardown.permits_purge


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_flush_needs_the_switch(incident, communicator):
    incident_services.timeline_add_note(actor=communicator, incident=incident, body="Kept by a refused flush.")
    with pytest.raises(CommandError):
        call_command("flush", interactive=False, verbosity=0)
    assert TimelineEntry.objects.exists()
    with purge_permitted(reason="test", audit=False):
        call_command("flush", interactive=False, verbosity=0)
    assert not TimelineEntry.objects.exists() and not Incident.objects.exists()


def test_deleting_a_timeline_author_is_refused_not_a_database_error(client, admin_user, incident):
    """A person with history is deactivated; deleting them must not try to null their timeline entries (an UPDATE)."""
    author = UserFactory(username="scribe", role=COMMUNICATOR)
    incident_services.timeline_add_note(actor=author, incident=incident, body="Only this note.")
    with pytest.raises(ProtectedError), transaction.atomic():
        author.delete()
    client.force_login(admin_user)
    response = client.post(reverse("admin:auth_user_delete", args=[author.pk]), {"post": "yes"})
    assert response.status_code == 200 and b"Cannot delete user" in response.content
    assert type(author).objects.filter(pk=author.pk).exists()
