"""The database cache's table (``settings.CACHE_TABLE``), so ``migrate`` is all a deployment runs.

Django's ``DatabaseCache`` needs ``manage.py createcachetable``, which migrations do not run; a
forgotten step would make every throttled request a 500. This migration creates the table with
the same code as that command (on SQLite and PostgreSQL alike), whichever cache is configured, so
switching ``REDIS_URL`` off later needs no extra step. Dropping it is the reverse.
"""

from django.conf import settings
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations


def create_cache_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, settings.CACHE_TABLE, dry_run=False)


def drop_cache_table(apps, schema_editor):
    if settings.CACHE_TABLE in schema_editor.connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(settings.CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
