"""Migrations 0014/0015 (issue 13): rows stored before the ingest bounds existed are brought inside them,
so the constraints apply and the inbox reads every row again."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from incidents.listening.models import Mention

BEFORE = [("incidents", "0013_spike_rule_recent_windows")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_out_of_range_rows_are_clamped_and_the_constraints_applied():
    # Every app's leaf: going back unapplies the other apps' migrations that depend on incidents (their
    # tables are dropped), and later tests in this process need them back.
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    migrate(BEFORE)
    try:
        # What PostgreSQL accepted before issue 13 (SQLite stores the same text).
        low = "0001-01-01 00:00:00+05" if connection.vendor == "postgresql" else "0001-01-01 00:00:00"
        high = "9999-12-31 23:59:59-05" if connection.vendor == "postgresql" else "9999-12-31 23:59:59"
        with connection.cursor() as cursor:
            for external_id, posted_at, audience in (("low", low, 1), ("high", high, 2**62)):
                cursor.execute(
                    "INSERT INTO incidents_mention (platform, external_id, url, author, audience, text, language, "
                    "posted_at, sentiment_label, sentiment_source, status, reply_url, source, received_at, updated_at) "
                    "VALUES ('x', %s, '', '', %s, 't', '', %s, 'neutral', 'builtin', 'new', '', 'api', %s, %s)",
                    [
                        external_id,
                        audience,
                        posted_at,
                        datetime(2026, 1, 1, tzinfo=UTC),
                        datetime(2026, 1, 1, tzinfo=UTC),
                    ],
                )
    finally:
        migrate(latest)
    rows = {m.external_id: m for m in Mention.objects.all()}
    assert rows["low"].posted_at == datetime(1970, 1, 1, tzinfo=UTC)
    assert rows["high"].posted_at.year == 2099
    assert (rows["low"].audience, rows["high"].audience) == (1, 2**53)
