"""Mention.edited_at (the source's version of an edit), and rows outside the ingest bounds brought inside.

Before issue 13 a posting time like 0001-01-01T00:00:00+05:00 was stored on PostgreSQL and then
broke every inbox read (Python cannot represent it). Such times are clamped to the bounds the
next migration makes constraints (1970-01-01 .. 2100-01-01), and audiences to 2^53, so that
migration can be applied; the rows themselves are kept. Separate migrations: on PostgreSQL a
table cannot be altered in the transaction that updated it while deferred triggers are pending.
"""

from datetime import UTC, datetime, timedelta

from django.db import migrations, models

LOW = datetime(1970, 1, 1, tzinfo=UTC)
HIGH = datetime(2100, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)
AUDIENCE_MAX = 2**53


def clamp_out_of_range(apps, schema_editor):
    Mention = apps.get_model("incidents", "Mention")
    MentionTerm = apps.get_model("incidents", "MentionTerm")
    for model in (Mention, MentionTerm):
        # update() never loads a row: a time Python cannot represent is fixed in SQL.
        model.objects.filter(posted_at__lt=LOW).update(posted_at=LOW)
        model.objects.filter(posted_at__gt=HIGH).update(posted_at=HIGH)
    Mention.objects.filter(audience__gt=AUDIENCE_MAX).update(audience=AUDIENCE_MAX)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0013_spike_rule_recent_windows"),
    ]

    operations = [
        migrations.AddField(
            model_name="mention",
            name="edited_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="edited at"),
        ),
        migrations.RunPython(clamp_out_of_range, migrations.RunPython.noop),
    ]
