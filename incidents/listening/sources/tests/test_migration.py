"""Migration 0021: active RSS/Atom feed sources become listening sources; the old rows are deactivated."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_feed_sources_become_sources():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    apps = migrate([("incidents", "0020_sources")])
    try:
        FeedSource = apps.get_model("incidents", "FeedSource")
        FeedSource.objects.create(name="News", url="https://news.example.org/feed", platform="news")
        FeedSource.objects.create(name="Blog", url="https://blog.example.org/rss", platform="rss")
        FeedSource.objects.create(name="Old", url="https://old.example.org/rss", active=False)
        apps = migrate([("incidents", "0021_feed_sources_become_sources")])
        Source = apps.get_model("incidents", "Source")
        got = sorted(Source.objects.values_list("name", "kind", "config"))
        assert got == [
            ("Blog", "rss", {"url": "https://blog.example.org/rss", "platform": "rss"}),
            ("News", "news_rss", {"url": "https://news.example.org/feed", "platform": "news"}),
        ]
        assert not apps.get_model("incidents", "FeedSource").objects.filter(active=True).exists()
    finally:
        migrate(latest)


@pytest.mark.django_db(transaction=True)
def test_remaining_feed_sources_become_sources_and_the_table_goes():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    apps = migrate([("incidents", "0022_source_permissions")])
    try:
        FeedSource = apps.get_model("incidents", "FeedSource")
        Source = apps.get_model("incidents", "Source")
        Source.objects.create(name="News", kind="news_rss", config={"url": "https://news.example.org/feed"})
        # Already a source (copied by 0021, then deactivated): not copied twice.
        FeedSource.objects.create(name="News", url="https://news.example.org/feed", platform="news", active=False)
        # Added through the old page after 0021, and a paused one: both become sources, as they were.
        FeedSource.objects.create(name="Late", url="https://late.example.org/rss", platform="rss")
        FeedSource.objects.create(name="Paused", url="https://paused.example.org/rss", platform="rss", active=False)
        apps = migrate([("incidents", "0023_retire_feed_sources")])
        Source = apps.get_model("incidents", "Source")
        got = sorted(Source.objects.values_list("name", "kind", "enabled", "config"))
        assert got == [
            ("Late", "rss", True, {"url": "https://late.example.org/rss", "platform": "rss"}),
            ("News", "news_rss", True, {"url": "https://news.example.org/feed"}),
            ("Paused", "rss", False, {"url": "https://paused.example.org/rss", "platform": "rss"}),
        ]
        with pytest.raises(LookupError):
            apps.get_model("incidents", "FeedSource")
    finally:
        migrate(latest)
