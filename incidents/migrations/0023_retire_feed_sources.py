"""The first version's feed sources are retired: the ``rss`` / ``news_rss`` listening sources replaced them.

Migration 0021 copied the feeds that were active then. A feed added afterwards through the old page,
or one that was paused, becomes a source now (enabled as the feed was) unless a source already polls
its URL; then the old table goes. Going back recreates the (empty) table only.
"""

from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    FeedSource = apps.get_model("incidents", "FeedSource")
    Source = apps.get_model("incidents", "Source")
    known = {
        str((source.config or {}).get("url") or "") for source in Source.objects.filter(kind__in=["rss", "news_rss"])
    }
    for feed in FeedSource.objects.order_by("pk"):
        if feed.url in known:
            continue
        Source.objects.create(
            name=feed.name[:100],
            kind="news_rss" if feed.platform == "news" else "rss",
            config={"url": feed.url, "platform": feed.platform},
            enabled=feed.active,
            created_by_id=feed.created_by_id,
        )
        known.add(feed.url)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0022_source_permissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.DeleteModel(name="FeedSource"),
    ]
