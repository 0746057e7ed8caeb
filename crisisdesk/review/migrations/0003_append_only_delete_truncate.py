"""Revisions, review decisions and audit events refuse DELETE and TRUNCATE too, not only UPDATE (0002).

Only ``crisisdesk.audit.purge.purge_permitted`` (the demo reset, test teardown) lets a purge through.
"""

from django.db import migrations

from crisisdesk.audit.purge import migration_operations

TABLES = ("review_revision", "review_reviewdecision", "review_auditevent")


class Migration(migrations.Migration):
    dependencies = [("review", "0002_append_only"), ("audit", "0002_append_only")]

    operations = [migration_operations(TABLES, update=False)]
