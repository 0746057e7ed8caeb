"""``/healthz`` watches ``manage.py listen`` when a stream source needs it."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from crisisdesk.observability import heartbeat
from incidents.listening.sources import stream
from incidents.listening.sources.models import Source, SourceKind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_listen_heartbeat():
    cache.delete(heartbeat.cache_key(stream.HEARTBEAT_PROCESS))
    yield
    cache.delete(heartbeat.cache_key(stream.HEARTBEAT_PROCESS))


def jetstream(enabled=True):
    return Source.objects.create(
        name="Bluesky", kind=SourceKind.BLUESKY_JETSTREAM, enabled=enabled, config={"base_url": "ws://127.0.0.1:1"}
    )


def healthz(client):
    response = client.get("/healthz")
    return response.status_code, response.json()["checks"]["listen"]


def test_without_an_enabled_stream_source_listen_is_not_needed(client):
    jetstream(enabled=False)
    Source.objects.create(name="HN", kind=SourceKind.HACKERNEWS, config={"query": "acme"})
    assert healthz(client) == (200, stream.NO_STREAM)


def test_an_enabled_stream_source_without_a_listen_heartbeat_is_503(client):
    jetstream()
    assert healthz(client) == (503, heartbeat.STALE)


def test_a_fresh_listen_heartbeat_is_ok_and_an_old_one_stale(client, settings):
    settings.CRISISDESK_HEARTBEAT_STALE_MINUTES = 5
    jetstream()
    heartbeat.record(stream.HEARTBEAT_PROCESS)
    assert healthz(client) == (200, heartbeat.OK)
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert healthz(client) == (503, heartbeat.STALE)
    with time_machine.travel(timezone.now() + timedelta(minutes=4)):
        assert healthz(client) == (200, heartbeat.OK)


def test_the_check_costs_one_query(django_assert_num_queries):
    jetstream()
    heartbeat.record(stream.HEARTBEAT_PROCESS)
    with django_assert_num_queries(1):
        assert stream.check_listen() == heartbeat.OK
