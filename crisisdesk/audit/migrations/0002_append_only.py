"""The audit trail is append-only: triggers refuse UPDATE, DELETE and TRUNCATE (see ``crisisdesk.audit.purge``).

Also creates what the other apps' append-only migrations use: the trigger function
``crisisdesk_append_only()`` on PostgreSQL, the ``crisisdesk_purge_permit`` table on SQLite.
"""

from django.db import migrations

from crisisdesk.audit.purge import migration_operations


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migration_operations(["audit_auditrecord"])]
