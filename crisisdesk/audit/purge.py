"""Append-only tables, enforced by the database, and the one maintenance switch that may purge them.

Every append-only table (the incident timeline, the review engine's revisions, decisions and
audit events, the system audit trail) gets triggers from ``append_only_sql``:

- PostgreSQL: ``BEFORE UPDATE OR DELETE`` row triggers and a ``BEFORE TRUNCATE`` statement trigger
  running ``crisisdesk_append_only()``. UPDATE is always refused; DELETE and TRUNCATE only pass
  when the transaction has set ``crisisdesk.allow_purge`` to ``on`` (``SET LOCAL``, so it ends
  with the transaction);
- SQLite (which has no TRUNCATE): ``BEFORE UPDATE`` and ``BEFORE DELETE`` triggers; DELETE only
  passes while the transaction holds a row in ``crisisdesk_purge_permit``, a one-row table that
  is not a Django model (so a flush never empties it, and no code path writes it but this module).

``purge_permitted(reason=...)`` is that switch. It is used by exactly two callers: the demo reset
(``manage.py seed_demo --reset``, through ``crisisdesk.demo.seed``), which writes an
``AuditRecord`` ``maintenance.purge`` naming the reason, and test teardown (pytest-django's flush
between transactional tests, ``crisisdesk.testing.env``). Anything else that tries to delete an
append-only row (raw SQL, the admin, a cascade from a deleted incident) fails in the database.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction

PURGE_SETTING = "crisisdesk.allow_purge"
PERMIT_TABLE = "crisisdesk_purge_permit"
FUNCTION = "crisisdesk_append_only"

POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') AND current_setting('{PURGE_SETTING}', true) = 'on' THEN
        IF TG_LEVEL = 'ROW' THEN
            RETURN OLD;
        END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

SQLITE_PERMIT_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {PERMIT_TABLE} "
    "(id INTEGER PRIMARY KEY CHECK (id = 1), reason TEXT NOT NULL CHECK (reason <> ''))"
)


def setup_sql(vendor: str) -> list[str]:
    """What every append-only migration needs first: the trigger function (PostgreSQL) or the permit table (SQLite)."""
    if vendor == "postgresql":
        return [POSTGRESQL_FUNCTION]
    if vendor == "sqlite":
        return [SQLITE_PERMIT_TABLE]
    return []


def append_only_sql(vendor: str, table: str, *, update: bool = True) -> tuple[list[str], list[str]]:
    """``(forward, backward)`` statements for ``table``: refuse DELETE and TRUNCATE, and UPDATE if ``update``.

    ``update=False`` for tables whose UPDATE trigger an earlier migration already created.
    """
    forward: list[str] = []
    backward: list[str] = []
    if vendor == "postgresql":
        if update:
            forward.append(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            )
            backward.append(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}")
        forward += [
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
        ]
        backward += [
            f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
    elif vendor == "sqlite":
        if update:
            forward.append(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END"
            )
            backward.append(f"DROP TRIGGER IF EXISTS {table}_no_update")
        forward.append(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "  # noqa: S608 - constant table names
            f"WHEN NOT EXISTS (SELECT 1 FROM {PERMIT_TABLE}) "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END"
        )
        backward.append(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    return forward, backward


def migration_operations(tables, *, update: bool = True):
    """A ``RunPython`` pair for a migration: the triggers on ``tables``, on whichever database runs it."""
    from django.db import migrations

    def forward(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for statement in setup_sql(vendor):
            schema_editor.execute(statement, params=None)
        for table in tables:
            for statement in append_only_sql(vendor, table, update=update)[0]:
                schema_editor.execute(statement, params=None)

    def backward(apps, schema_editor):
        for table in tables:
            for statement in append_only_sql(schema_editor.connection.vendor, table, update=update)[1]:
                schema_editor.execute(statement, params=None)

    return migrations.RunPython(forward, backward)


def purge_is_permitted(using: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting(%s, true)", [PURGE_SETTING])
            return cursor.fetchone()[0] == "on"
        if connection.vendor == "sqlite":
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {PERMIT_TABLE})")  # noqa: S608 - constant name
            return bool(cursor.fetchone()[0])
    return True


@contextmanager
def purge_permitted(*, reason: str, actor=None, using: str = DEFAULT_DB_ALIAS, audit: bool = True):
    """Inside one transaction, let DELETE and TRUNCATE through the append-only triggers; closed again on exit.

    ``audit`` writes an ``AuditRecord`` ``maintenance.purge`` (actor, reason) once the block succeeded;
    test teardown passes ``audit=False``: the flush it permits must leave the tables empty.
    """
    if not reason:
        raise ValueError("A purge needs a reason.")
    connection = connections[using]
    with transaction.atomic(using=using):
        if purge_is_permitted(using):  # already inside a permitted purge: nothing to open or close
            yield
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'on', true)", [PURGE_SETTING])
            elif connection.vendor == "sqlite":
                cursor.execute(f"INSERT INTO {PERMIT_TABLE} (id, reason) VALUES (1, %s)", [reason])  # noqa: S608
        yield
        # On an exception the rollback closes the switch (SET LOCAL and the permit row are both undone).
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'off', true)", [PURGE_SETTING])
            elif connection.vendor == "sqlite":
                cursor.execute(f"DELETE FROM {PERMIT_TABLE}")  # noqa: S608
        if audit:
            from .services import audit_record

            audit_record(actor=actor, action="maintenance.purge", comment=reason)
