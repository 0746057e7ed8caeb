"""The incident timeline refuses DELETE and TRUNCATE too, not only UPDATE (0002).

Deleting an incident would cascade to its timeline: that now fails in the database unless the
transaction holds the maintenance switch (``crisisdesk.audit.purge.purge_permitted``), which only
the demo reset and test teardown use.
"""

from django.db import migrations

from crisisdesk.audit.purge import migration_operations


class Migration(migrations.Migration):
    dependencies = [("incidents", "0013_spike_rule_recent_windows"), ("audit", "0002_append_only")]

    operations = [migration_operations(["incidents_timelineentry"], update=False)]
