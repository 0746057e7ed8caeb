"""The ``mastodon_stream`` source kind (a Mastodon instance's streaming API, run by ``manage.py listen``)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0023_retire_feed_sources"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="source",
            name="source_kind_valid",
        ),
        migrations.AlterField(
            model_name="source",
            name="kind",
            field=models.CharField(
                choices=[
                    ("bluesky_jetstream", "Bluesky (Jetstream stream)"),
                    ("bluesky_search", "Bluesky (post search)"),
                    ("mastodon", "Mastodon"),
                    ("mastodon_stream", "Mastodon (streaming)"),
                    ("reddit", "Reddit"),
                    ("youtube", "YouTube"),
                    ("hackernews", "Hacker News (Algolia)"),
                    ("news_rss", "News (Google News / Google Alerts feed)"),
                    ("rss", "RSS/Atom feed"),
                    ("inbound_webhook", "Inbound webhook (signed)"),
                ],
                max_length=32,
                verbose_name="kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="source",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "kind__in",
                        [
                            "bluesky_jetstream",
                            "bluesky_search",
                            "mastodon",
                            "mastodon_stream",
                            "reddit",
                            "youtube",
                            "hackernews",
                            "news_rss",
                            "rss",
                            "inbound_webhook",
                        ],
                    )
                ),
                name="source_kind_valid",
            ),
        ),
    ]
