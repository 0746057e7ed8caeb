"""Database constraints behind the ingest bounds: posting and edit times within 1970-01-01 .. 2100-01-01,
audience at most 2^53 (see ``incidents.listening.models``)."""

import datetime

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0014_mention_edited_at_and_bounds"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("posted_at__gte", datetime.datetime(1970, 1, 1, 0, 0, tzinfo=datetime.UTC)),
                    ("posted_at__lt", datetime.datetime(2100, 1, 1, 0, 0, tzinfo=datetime.UTC)),
                ),
                name="mention_posted_at_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("edited_at__isnull", True),
                    models.Q(
                        ("edited_at__gte", datetime.datetime(1970, 1, 1, 0, 0, tzinfo=datetime.UTC)),
                        ("edited_at__lt", datetime.datetime(2100, 1, 1, 0, 0, tzinfo=datetime.UTC)),
                    ),
                    _connector="OR",
                ),
                name="mention_edited_at_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.CheckConstraint(
                condition=models.Q(("audience__lte", 9007199254740992)), name="mention_audience_range"
            ),
        ),
    ]
