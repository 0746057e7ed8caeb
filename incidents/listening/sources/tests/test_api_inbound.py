"""Sources API (team leads manage, credentials write-only, Fetch now) and the signed inbound webhook."""

import base64
import json
import time

import pytest

from incidents.listening.models import Mention
from incidents.listening.sources import inbound
from incidents.listening.sources.models import Source, SourceKind

pytestmark = pytest.mark.django_db


def test_team_lead_creates_source_with_write_only_credentials(api, team_lead):
    client = api(team_lead)
    response = client.post(
        "/api/v1/sources/",
        {
            "name": "Fediverse",
            "kind": "mastodon",
            "config": {"instance_url": "https://mastodon.example", "hashtags": ["acme"]},
            "credentials": {"access_token": "t0ken-value"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["credentials_set"] == ["access_token"]
    assert "t0ken-value" not in response.content.decode()
    source = Source.objects.get()
    assert "t0ken-value" not in source.credentials_secret
    assert source.credential("access_token") == "t0ken-value"
    # A PATCH with an empty credential keeps the stored one.
    client.patch(
        f"/api/v1/sources/{source.pk}/", {"credentials": {"access_token": ""}, "enabled": False}, format="json"
    )
    source.refresh_from_db()
    assert source.credential("access_token") == "t0ken-value" and not source.enabled
    assert "t0ken-value" not in client.get(f"/api/v1/sources/{source.pk}/").content.decode()


def test_bad_config_is_400(api, team_lead):
    response = api(team_lead).post(
        "/api/v1/sources/", {"name": "x", "kind": "mastodon", "config": {"instance_url": "ftp://x"}}, format="json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("persona", ["communicator", "observer", "outsider"])
def test_only_team_leads_manage(api, persona, request):
    user = request.getfixturevalue(persona)
    source = Source.objects.create(name="HN", kind=SourceKind.HACKERNEWS)
    client = api(user)
    create = client.post("/api/v1/sources/", {"name": "y", "kind": "hackernews"}, format="json")
    assert create.status_code == 403
    fetch = client.post(f"/api/v1/sources/{source.pk}/fetch/")
    if persona == "outsider":
        assert client.get("/api/v1/sources/").status_code == 403
        assert fetch.status_code == 404
    else:
        listed = client.get("/api/v1/sources/").json()
        names = [row["name"] for row in (listed["results"] if isinstance(listed, dict) else listed)]
        assert names == ["HN"]
        assert fetch.status_code == 403


def signed(secret, body: bytes, msg_id="msg_1", ts=None):
    ts = str(int(time.time()) if ts is None else ts)
    return {
        "HTTP_WEBHOOK_ID": msg_id,
        "HTTP_WEBHOOK_TIMESTAMP": ts,
        "HTTP_WEBHOOK_SIGNATURE": inbound.signature(secret=secret, msg_id=msg_id, timestamp=ts, body=body),
    }


@pytest.fixture
def hook(db):
    source = Source(name="Brandwatch push", kind=SourceKind.INBOUND_WEBHOOK)
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    source.set_credentials({"webhook_secret": secret})
    source.save()
    return source, secret


def push(client, source, secret, payload, **kw):
    body = json.dumps(payload).encode()
    return client.post(
        f"/api/v1/sources/{source.pk}/inbound/", body, content_type="application/json", **signed(secret, body, **kw)
    )


def test_inbound_signed_push_ingests_and_deletes(client, hook):
    source, secret = hook
    item = {"platform": "x", "external_id": "1", "text": "Acme is down", "posted_at": "2026-11-20T10:00:00Z"}
    response = push(client, source, secret, {"mentions": [item, {"platform": "x"}]})
    assert response.status_code == 202, response.content
    assert (response.json()["created"], response.json()["rejected"]) == (1, 1)
    assert Mention.objects.get().origin_id == source.pk
    response = push(client, source, secret, {"deleted": [{"platform": "x", "external_id": "1"}]}, msg_id="msg_2")
    assert response.json()["deleted"] == 1
    assert Mention.objects.get().deleted_at is not None


def test_inbound_refuses_bad_signature_replay_and_stale(client, hook):
    source, secret = hook
    payload = {"mentions": []}
    assert push(client, source, "whsec_" + base64.b64encode(b"x" * 32).decode(), payload).status_code == 401
    assert push(client, source, secret, payload, ts=int(time.time()) - 3600).status_code == 401
    assert push(client, source, secret, payload).status_code == 202
    assert push(client, source, secret, payload).status_code == 409  # same webhook-id
    # An unknown source answers like a bad signature.
    body = b"{}"
    unknown = client.post(
        "/api/v1/sources/9999/inbound/", body, content_type="application/json", **signed(secret, body)
    )
    assert unknown.status_code == 401
    bad = b"not json"
    assert (
        client.post(
            f"/api/v1/sources/{source.pk}/inbound/",
            bad,
            content_type="application/json",
            **signed(secret, bad, msg_id="m9"),
        ).status_code
        == 400
    )
    assert not Mention.objects.exists()


def test_browser_pages_and_fetch_now(client_for, team_lead, communicator, outsider, fake_server):
    fake_server.route("GET", "/feed", lambda r: (500, {}, "boom"))
    source = Source.objects.create(name="Feed", kind=SourceKind.RSS, config={"url": f"{fake_server.url}/feed"})
    lead = client_for(team_lead)
    assert lead.get("/mentions/sources/").status_code == 200
    response = lead.post(f"/mentions/sources/{source.pk}/fetch/", follow=True)
    assert response.status_code == 200 and "500" in response.content.decode()
    source.refresh_from_db()
    assert source.is_failing
    assert client_for(communicator).post(f"/mentions/sources/{source.pk}/fetch/").status_code == 403
    assert client_for(outsider).get(f"/mentions/sources/{source.pk}/").status_code == 403
    lead = client_for(team_lead)  # one test client: log the lead back in
    created = lead.post(
        "/mentions/sources/new/",
        {
            "name": "Hook",
            "kind": "inbound_webhook",
            "config": "{}",
            "enabled": "on",
            "poll_interval_seconds": 300,
            "max_requests_per_minute": 30,
            "credential_name": "webhook_secret",
            "credential_value": "s3cret-hook",
        },
    )
    assert created.status_code == 302, created.content
    hook = Source.objects.get(name="Hook")
    assert hook.credential_names == ["webhook_secret"]
    assert "s3cret-hook" not in lead.get(hook.get_absolute_url()).content.decode()


# Flat in the number of sources (12 sources under the cap proves no query per row); measured 6 and 8.
API_QUERIES = 6
PAGE_QUERIES = 8


@pytest.mark.parametrize("count", [1, 12])
def test_source_lists_cost_the_same_sql_for_1_or_12_sources_and_show_the_fetched_counts(
    count, api, client_for, team_lead, django_assert_max_num_queries
):
    from datetime import timedelta

    from django.utils import timezone

    from incidents.listening.sources.models import SourceRun

    now = timezone.now()
    for n in range(count):
        source = Source.objects.create(name=f"Feed {n:02}", kind=SourceKind.RSS, config={"url": "http://x/feed"})
        SourceRun.objects.create(source=source, started_at=now - timedelta(minutes=5), fetched=3)
        SourceRun.objects.create(source=source, started_at=now - timedelta(hours=5), fetched=4)
        SourceRun.objects.create(source=source, started_at=now - timedelta(days=2), fetched=100)
    client = api(team_lead)
    client.get("/api/v1/sources/")
    # Session, user, the user's permissions (2), the sources with their sums, their watch terms.
    with django_assert_max_num_queries(API_QUERIES):
        body = client.get("/api/v1/sources/").json()
    assert [(row["fetched_last_hour"], row["fetched_last_day"]) for row in body["results"]] == [(3, 7)] * count
    browser = client_for(team_lead)
    browser.get("/mentions/sources/")  # session and permission caches warmed
    with django_assert_max_num_queries(PAGE_QUERIES):
        page = browser.get("/mentions/sources/").content.decode()
    assert page.count("3 / 7") == count
