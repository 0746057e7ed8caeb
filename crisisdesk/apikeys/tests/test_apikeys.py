"""Integration API keys: hashed at rest, scopes, revocation (401), last use, per-key throttle."""

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from crisisdesk.apikeys import services
from crisisdesk.apikeys.models import APIKey, hash_key

ITEM = {"platform": "x", "external_id": "1", "text": "Acme blender cracked", "posted_at": "2026-11-20T10:00:00Z"}


@pytest.fixture
def make_key(admin_user, communicator):
    def make(*scopes, user=None):
        return services.apikey_create(
            actor=admin_user, name="Listening tool", scopes=list(scopes), user=user or communicator
        )

    return make


def key_client(raw_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def test_key_is_stored_hashed_and_shown_once(make_key):
    key, raw_key = make_key("ingest")
    stored = APIKey.objects.get(pk=key.pk)
    assert raw_key not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == hash_key(raw_key)
    assert raw_key.startswith(stored.prefix + ".")


def test_only_key_managers_create_keys(communicator, outsider):
    for user in (communicator, outsider):
        with pytest.raises(PermissionDenied):
            services.apikey_create(actor=user, name="x", scopes=["read"])


def test_ingest_scope_allows_ingest_but_not_read(make_key):
    _, raw_key = make_key("ingest")
    client = key_client(raw_key)
    assert client.post("/api/v1/mentions/", ITEM, format="json").status_code == 200
    assert client.get("/api/v1/mentions/").status_code == 403


def test_read_scope_allows_read_but_not_ingest_or_other_endpoints(make_key):
    _, raw_key = make_key("read")
    client = key_client(raw_key)
    assert client.get("/api/v1/mentions/").status_code == 200
    assert client.post("/api/v1/mentions/bulk/", {"mentions": [ITEM]}, format="json").status_code == 403
    # Endpoints that do not declare a scope refuse keys altogether.
    assert client.get("/api/v1/incidents/").status_code == 403


def test_write_scope_is_needed_to_triage(make_key):
    _, read_key = make_key("read")
    _, write_key = make_key("write")
    assert key_client(read_key).post("/api/v1/mentions/triage/", {"ids": []}, format="json").status_code == 403
    assert key_client(write_key).post("/api/v1/mentions/triage/", {"ids": []}, format="json").status_code == 200


def test_revoked_or_wrong_key_is_401(make_key, admin_user):
    key, raw_key = make_key("read")
    assert key_client(raw_key).get("/api/v1/mentions/").status_code == 200
    services.apikey_revoke(actor=admin_user, key=key)
    response = key_client(raw_key).get("/api/v1/mentions/")
    assert response.status_code == 401
    assert key_client(raw_key + "x").get("/api/v1/mentions/").status_code == 401
    assert key_client("nope.nope").get("/api/v1/mentions/").status_code == 401


def test_last_used_is_recorded(make_key):
    key, raw_key = make_key("read")
    assert key.last_used_at is None
    key_client(raw_key).get("/api/v1/mentions/")
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_throttle_is_per_key(make_key, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "apikey": "2/min"},
    }
    _, first = make_key("read")
    _, second = make_key("read")
    codes = [key_client(first).get("/api/v1/mentions/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    # Another key has its own bucket.
    assert key_client(second).get("/api/v1/mentions/").status_code == 200
    cache.clear()


def test_a_team_lead_revokes_only_keys_they_manage(team_lead, lead2, admin_user):
    theirs, _ = services.apikey_create(actor=lead2, name="theirs", scopes=["read"])
    mine, _ = services.apikey_create(actor=team_lead, name="mine", scopes=["read"])
    with pytest.raises(PermissionDenied):
        services.apikey_revoke(actor=team_lead, key=theirs)
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert services.apikey_revoke(actor=team_lead, key=mine).revoked_at is not None
    assert services.apikey_revoke(actor=admin_user, key=theirs).revoked_at is not None


def test_a_staff_team_lead_sees_only_their_keys_in_the_admin(admin_as, staff_people):
    from django.urls import reverse

    services.apikey_create(actor=staff_people["lead2"], name="Lead two's feed", scopes=["read"])
    services.apikey_create(actor=staff_people["team_lead"], name="My own feed", scopes=["read"])
    body = admin_as("team_lead").get(reverse("admin:apikeys_apikey_changelist")).content.decode()
    assert "My own feed" in body
    assert "Lead two" not in body
