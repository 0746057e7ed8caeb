"""Backup and restore, proven: the README's pg_dump / pg_restore / migrate steps give back the same record.

A crisis is written through the services and committed; ``pg_dump --format=custom`` dumps the test
database; a fresh cluster (``crisisdesk.testing.pgcluster``) takes the dump with ``pg_restore``, as
another role that is no superuser (``--no-owner``); ``manage.py migrate`` runs against it in a subprocess, as an upgrade
after a restore would. Then the restored database is read with psycopg and must hold the same
incidents, timeline, revisions (text and hashes), approvals and audit trails, row for row — with the
hashes still matching the content and the append-only triggers still refusing an edit.
"""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from crisisdesk.audit.models import AuditRecord
from crisisdesk.review import services as review
from crisisdesk.review.models import AuditEvent, ReviewDecision, ReviewStatus, Revision, canonical_hash
from crisisdesk.review.tests.helpers import make_statement
from crisisdesk.testing.pgcluster import find_pg_bin, pg_cluster, server_binaries_installed
from crisisdesk.testing.system import require
from incidents import services as incident_services
from incidents.models import Fact, FactStatus, Incident, Status, TimelineEntry
from incidents.statements.models import Statement, StatementPublication
from incidents.statements.services import statement_update

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]

# What a restore must give back, row for row: the crisis record and who did what to it.
RECORD_MODELS = [
    get_user_model(),
    Incident,
    TimelineEntry,
    Fact,
    Statement,
    StatementPublication,
    Revision,
    ReviewDecision,
    AuditEvent,
    AuditRecord,
]


@pytest.fixture(autouse=True)
def _server_binaries():
    require(server_binaries_installed(), "PostgreSQL server binaries (initdb, pg_ctl, pg_dump) are not installed")


def populate(*, team_lead, communicator, legal) -> Statement:
    """An incident with a timeline and a verified fact, and a statement edited twice, approved by Legal, published."""
    incident = incident_services.incident_open(
        actor=team_lead, title="Cracked blender jars on video", severity=4, affected_channels=["x"], lead=team_lead
    )
    incident_services.incident_change_status(actor=team_lead, incident=incident, to_status=Status.RESPONDING)
    incident_services.timeline_add_note(actor=team_lead, incident=incident, body="Supplier called back: batch 42.")
    fact = incident_services.fact_add(actor=team_lead, incident=incident, claim="Only batch 42 is affected.")
    incident_services.fact_verify(actor=legal, fact=fact, status=FactStatus.CONFIRMED, note="QA report 7")
    statement = make_statement(author=communicator, incident=incident)
    statement = statement_update(
        actor=communicator, statement=statement, body="We are recalling batch 42 of our blender jars.", comment="v2"
    )
    statement = statement_update(
        actor=communicator,
        statement=statement,
        body="We are recalling batch 42 of our blender jars. Refunds at every store.",
        comment="v3",
    )
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
    review.review_publish(actor=communicator, item=statement)
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.PUBLISHED
    return statement


def snapshot(conninfo: str) -> dict[str, list[tuple]]:
    """Every row of the record tables, in id order, read over a connection of its own."""
    with psycopg.connect(conninfo) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        return {
            model._meta.db_table: conn.execute(f'SELECT * FROM "{model._meta.db_table}" ORDER BY id').fetchall()
            for model in RECORD_MODELS
        }


def source_conninfo() -> str:
    settings = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname=settings["NAME"],
    )


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, **kwargs)
    assert result.returncode == 0, f"{command[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_a_dump_restored_into_a_fresh_cluster_and_migrated_holds_the_same_record(
    tmp_path, team_lead, communicator, legal
):
    statement = populate(team_lead=team_lead, communicator=communicator, legal=legal)
    source = snapshot(source_conninfo())
    dump = tmp_path / "crisisdesk.dump"

    # The README's backup command, against the committed test database.
    run([str(find_pg_bin() / "pg_dump"), "--format=custom", f"--file={dump}", f"--dbname={source_conninfo()}"])

    # Another server, and the README's restore: an administrator creates the database for the application's
    # role, which restores and migrates it. That role has another name than the source's and is no superuser.
    with pg_cluster(user="restorer") as cluster:
        with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
            conn.execute("CREATE ROLE app LOGIN")
            conn.execute("CREATE DATABASE crisisdesk_restored OWNER app")
        restored_conninfo = cluster.conninfo("crisisdesk_restored", user="app")
        run(
            [
                cluster.tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                f"--dbname={restored_conninfo}",
                str(dump),
            ]
        )
        migrated = run(
            [sys.executable, "manage.py", "migrate", "--no-input"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": cluster.url("crisisdesk_restored", user="app"), "DATABASE_POOL": "0"},
        )
        # Already at the latest migration: migrate after a restore of a same-version dump is a no-op.
        assert "No migrations to apply." in migrated.stdout
        restored = snapshot(restored_conninfo)
        assert restored == source
        with psycopg.connect(restored_conninfo) as conn:
            revisions = conn.execute(
                f"SELECT id, number, content, content_hash, text_hash FROM {Revision._meta.db_table} "
                "WHERE object_id = %s ORDER BY number",
                [statement.pk],
            ).fetchall()
            published = conn.execute(
                f"SELECT status, published_revision_id FROM {Statement._meta.db_table} WHERE id = %s",
                [statement.pk],
            ).fetchone()
            approvals = conn.execute(
                f"SELECT revision_id, content_hash, reviewer_id, role FROM {ReviewDecision._meta.db_table} "
                "WHERE decision = 'approve'"
            ).fetchall()
        # The append-only triggers came back with the tables: the restored record cannot be edited.
        with psycopg.connect(restored_conninfo, autocommit=True) as conn:
            for table, column in [
                (Revision._meta.db_table, "content_hash"),
                (AuditEvent._meta.db_table, "comment"),
                (AuditRecord._meta.db_table, "comment"),
            ]:
                with pytest.raises(psycopg.Error, match="append-only"):
                    conn.execute(f"UPDATE {table} SET {column} = 'forged'")

    # Not an empty comparison: the crisis is all there.
    counts = {table: len(rows) for table, rows in restored.items()}
    assert counts[Incident._meta.db_table] == 1
    assert counts[TimelineEntry._meta.db_table] >= 4
    assert counts[AuditEvent._meta.db_table] >= 5
    assert counts[AuditRecord._meta.db_table] >= 1
    # The words and their hashes survived: each hash still matches its content.
    assert [number for _, number, *_ in revisions] == [1, 2, 3]
    assert revisions[-1][2]["body"] == "We are recalling batch 42 of our blender jars. Refunds at every store."
    for _, _, content, content_hash, _text_hash in revisions:
        assert canonical_hash(content) == content_hash
    assert published == (ReviewStatus.PUBLISHED, revisions[-1][0])
    # Legal's approval, by someone other than the author, bound to the published revision's hash.
    assert approvals == [(revisions[-1][0], revisions[-1][3], legal.pk, approvals[0][3])]
    assert legal.pk != communicator.pk
