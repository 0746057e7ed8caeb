"""RSS/Atom feed sources become listening sources (kind ``rss``, or ``news_rss`` for the ``news`` platform).

The old rows stay (for their history) but are deactivated, so the legacy poller does not poll
the same feed twice; the ``rss`` connector polls them from now on, with conditional GET.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    FeedSource = apps.get_model("incidents", "FeedSource")
    Source = apps.get_model("incidents", "Source")
    for feed in FeedSource.objects.filter(active=True):
        Source.objects.create(
            name=feed.name[:100],
            kind="news_rss" if feed.platform == "news" else "rss",
            config={"url": feed.url, "platform": feed.platform},
            enabled=True,
            created_by_id=feed.created_by_id,
        )
    FeedSource.objects.filter(active=True).update(active=False)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0020_sources")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
