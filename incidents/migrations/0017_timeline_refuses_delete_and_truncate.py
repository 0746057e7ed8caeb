"""The incident timeline refuses DELETE and TRUNCATE too, not only UPDATE (0002; it runs after 0016, whose SQLite table rebuild would drop triggers created before it).

Deleting an incident would cascade to its timeline: that now fails in the database unless the
transaction holds the maintenance switch (``crisisdesk.audit.purge.purge_permitted``), which only
the demo reset and test teardown use. A timeline entry's author is PROTECTed rather than nulled
when the person is deleted: nulling the column is an UPDATE the trigger refuses.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from crisisdesk.audit.purge import migration_operations


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0016_timeline_event_codes"),
        ("audit", "0002_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="timelineentry",
            name="author",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migration_operations(["incidents_timelineentry"], update=False),
    ]
