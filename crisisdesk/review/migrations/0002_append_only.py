"""Revisions, review decisions and audit events are append-only: the database refuses UPDATE on them.

Same technique as the incident timeline (incidents migration 0002), so the rule
holds for raw SQL, the admin and other processes too.
"""

from django.db import migrations

TABLES = ("review_revision", "review_reviewdecision", "review_auditevent")


def _sql(vendor: str, table: str) -> tuple[str, str] | None:
    if vendor == "postgresql":
        return (
            f"""
            CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{table} is append-only';
            END;
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
            """,
            f"""
            DROP TRIGGER IF EXISTS {table}_no_update ON {table};
            DROP FUNCTION IF EXISTS {table}_append_only();
            """,
        )
    if vendor == "sqlite":
        return (
            f"""
            CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;
            """,
            f"DROP TRIGGER IF EXISTS {table}_no_update;",
        )
    return None


def append_only(apps, schema_editor):
    for table in TABLES:
        sql = _sql(schema_editor.connection.vendor, table)
        if sql:
            schema_editor.execute(sql[0])


def drop_append_only(apps, schema_editor):
    for table in TABLES:
        sql = _sql(schema_editor.connection.vendor, table)
        if sql:
            schema_editor.execute(sql[1])


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial")]

    operations = [migrations.RunPython(append_only, drop_append_only)]
