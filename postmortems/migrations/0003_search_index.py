"""A GIN index for the lessons library's full-text search, on PostgreSQL only.

The expression is the one ``postmortems.selectors.search_vector()`` builds, so the
planner can use it; SQLite (development) searches with ``icontains`` and gets no index.
"""

from django.db import migrations

FIELDS = (
    ("title", "A"),
    ("summary", "B"),
    ("lessons", "A"),
    ("root_causes", "B"),
    ("went_well", "C"),
    ("went_badly", "C"),
)

EXPRESSION = " || ".join(
    f"setweight(to_tsvector('english'::regconfig, COALESCE(\"{name}\", '')), '{weight}')" for name, weight in FIELDS
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS postmortem_search_gin ON postmortems_postmortemreview USING GIN (({EXPRESSION}))"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS postmortem_search_gin")


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0002_permissions")]

    operations = [migrations.RunPython(create_index, drop_index)]
