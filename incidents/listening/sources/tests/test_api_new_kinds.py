"""The Sources API with the bluesky_search and mastodon_stream kinds: configuration validated, app password write-only."""

import pytest

from incidents.listening.sources.models import Source

pytestmark = pytest.mark.django_db


def test_bluesky_search_source_with_an_app_password(api, team_lead):
    client = api(team_lead)
    response = client.post(
        "/api/v1/sources/",
        {
            "name": "Bluesky search",
            "kind": "bluesky_search",
            "config": {"queries": ["acme"]},
            "credentials": {"identifier": "acme.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["credentials_set"] == ["app_password", "identifier"]
    assert "abcd-efgh" not in response.content.decode()
    source = Source.objects.get()
    assert source.config == {"base_url": "https://bsky.social", "queries": ["acme"], "limit": 100, "lookback_hours": 24}


@pytest.mark.parametrize(
    ("kind", "config"),
    [
        ("bluesky_search", {"limit": 1000}),
        ("bluesky_search", {"base_url": "wss://bsky.social"}),
        ("mastodon_stream", {"instance_url": "wss://mastodon.example"}),
        ("mastodon_stream", {"instance_url": "https://mastodon.example", "hashtags": "acme"}),
    ],
)
def test_bad_config_is_400(api, team_lead, kind, config):
    response = api(team_lead).post("/api/v1/sources/", {"name": "x", "kind": kind, "config": config}, format="json")
    assert response.status_code == 400, response.content
    assert "config" in response.json()
    assert not Source.objects.exists()


def test_mastodon_stream_source_is_created_with_its_defaults(api, team_lead):
    response = api(team_lead).post(
        "/api/v1/sources/",
        {"name": "Stream", "kind": "mastodon_stream", "config": {"instance_url": "https://mastodon.example"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Source.objects.get().config["streaming_url"] == ""
