"""Browser pages for integration API keys: team leads and superusers manage them, everyone else gets 403."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from crisisdesk.apikeys import services
from crisisdesk.apikeys.models import APIKey
from crisisdesk.roles import TEAM_LEAD
from crisisdesk.testing.factories import UserFactory
from incidents.listening.models import Mention

pytestmark = pytest.mark.django_db

OTHERS = ["communicator", "legal", "observer", "outsider"]
BULK_URL = "/api/v1/mentions/bulk/"
ITEM = {"platform": "x", "external_id": "77", "text": "Acme jar cracked", "posted_at": "2026-11-20T10:00:00Z"}
RAW_KEY = re.compile(r"[0-9a-f]{12}\.[A-Za-z0-9_-]{20,}")


def create(client, **data):
    return client.post(reverse("apikeys:create"), {"name": "Listening tool", "scopes": ["ingest"], **data})


def ingest(raw_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client.post(BULK_URL, {"mentions": [ITEM]}, format="json")


@pytest.fixture
def lead_key(team_lead):
    key, _ = services.apikey_create(actor=team_lead, name="Lead's tool", scopes=["read"])
    return key


def test_team_lead_can_manage_keys_after_the_migration(team_lead):
    assert services.can_manage_keys(team_lead)
    assert team_lead.has_perms(["apikeys.add_apikey", "apikeys.change_apikey", "apikeys.view_apikey"])


def test_team_lead_lists_creates_and_revokes(team_lead, client_for, lead_key):
    client = client_for(team_lead)
    page = client.get(reverse("apikeys:list"))
    assert page.status_code == 200
    assert [k.pk for k in page.context["keys"]] == [lead_key.pk]
    assert client.get(reverse("apikeys:create")).status_code == 200
    assert client.get(reverse("apikeys:revoke", args=[lead_key.pk])).status_code == 200
    response = client.post(reverse("apikeys:revoke", args=[lead_key.pk]), follow=True)
    assert response.redirect_chain == [(reverse("apikeys:list"), 302)]
    assert "revoked" in response.content.decode()
    lead_key.refresh_from_db()
    assert lead_key.revoked_at is not None


def test_nav_link_only_for_key_managers(team_lead, communicator, client_for):
    url = reverse("apikeys:list")
    assert f'href="{url}"' in client_for(team_lead).get(reverse("dashboard")).content.decode()
    assert f'href="{url}"' not in client_for(communicator).get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize("persona", OTHERS)
def test_other_personas_get_403(persona, request, client_for, lead_key):
    client = client_for(request.getfixturevalue(persona))
    for url in (reverse("apikeys:list"), reverse("apikeys:create"), reverse("apikeys:revoke", args=[lead_key.pk])):
        assert client.get(url).status_code == 403, url
    assert create(client).status_code == 403
    assert client.post(reverse("apikeys:revoke", args=[lead_key.pk])).status_code == 403
    lead_key.refresh_from_db()
    assert lead_key.is_active
    assert APIKey.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(client, lead_key):
    for url in (reverse("apikeys:list"), reverse("apikeys:create"), reverse("apikeys:revoke", args=[lead_key.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert client.post(reverse("apikeys:revoke", args=[lead_key.pk])).status_code == 302
    lead_key.refresh_from_db()
    assert lead_key.is_active


def test_raw_key_is_shown_once_and_works_until_revoked(team_lead, client_for):
    client = client_for(team_lead)
    response = create(client)
    assert response.status_code == 200  # rendered, never redirected: the key is nowhere else
    body = response.content.decode()
    raw_keys = set(RAW_KEY.findall(body))
    assert len(raw_keys) == 1
    raw_key = raw_keys.pop()
    assert f'value="{raw_key}"' in body
    assert f"Api-Key {raw_key}" in body  # the curl example
    assert "http://testserver/api/v1/mentions/bulk/" in body
    assert raw_key not in str(dict(client.session))
    key = APIKey.objects.get()
    assert (key.name, key.scopes, key.user, key.created_by) == ("Listening tool", ["ingest"], team_lead, team_lead)
    assert key.matches(raw_key)

    # The list never shows it again, only the prefix.
    listing = client.get(reverse("apikeys:list")).content.decode()
    assert raw_key not in listing
    assert f"{key.prefix}…" in listing

    assert ingest(raw_key).status_code == 200
    assert Mention.objects.filter(external_id="77").exists()
    client.post(reverse("apikeys:revoke", args=[key.pk]))
    assert ingest(raw_key).status_code == 401


def test_key_is_limited_to_its_scopes(team_lead, client_for):
    body = create(client_for(team_lead), scopes=["read"]).content.decode()
    raw_key = RAW_KEY.search(body).group()
    assert ingest(raw_key).status_code == 403


def test_created_key_response_is_not_stored(team_lead, client_for):
    response = create(client_for(team_lead))
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "data, field",
    [({"scopes": []}, "scopes"), ({"name": ""}, "name"), ({"scopes": ["admin"]}, "scopes")],
)
def test_form_errors(team_lead, client_for, data, field):
    response = create(client_for(team_lead), **data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not RAW_KEY.search(response.content.decode())
    assert not APIKey.objects.exists()


def test_scopes_are_checkboxes_with_their_labels(team_lead, client_for):
    body = client_for(team_lead).get(reverse("apikeys:create")).content.decode()
    assert len(re.findall(r'<input type="checkbox"[^>]* name="scopes"', body)) == 3
    for label in ("Ingest mentions", "Read", "Write"):
        assert label in body
    assert 'name="user"' not in body


def test_team_lead_cannot_see_or_revoke_another_leads_key(team_lead, lead2, client_for):
    key, raw_key = services.apikey_create(actor=lead2, name="Other lead's tool", scopes=["ingest"])
    client = client_for(team_lead)
    assert "Other lead" not in client.get(reverse("apikeys:list")).content.decode()
    assert client.get(reverse("apikeys:revoke", args=[key.pk])).status_code == 404
    assert client.post(reverse("apikeys:revoke", args=[key.pk])).status_code == 404
    key.refresh_from_db()
    assert key.is_active


def test_team_lead_sees_a_key_acting_as_them(team_lead, admin_user, client_for):
    key, _ = services.apikey_create(actor=admin_user, name="Made for the lead", scopes=["read"], user=team_lead)
    client = client_for(team_lead)
    assert [k.pk for k in client.get(reverse("apikeys:list")).context["keys"]] == [key.pk]
    assert client.get(reverse("apikeys:revoke", args=[key.pk])).status_code == 200


def test_team_lead_cannot_pick_another_user(team_lead, communicator, client_for):
    create(client_for(team_lead), user=communicator.pk)
    assert APIKey.objects.get().user == team_lead


def test_superuser_sees_all_and_chooses_who_the_key_acts_as(admin_user, communicator, lead_key, client_for):
    client = client_for(admin_user)
    assert [k.pk for k in client.get(reverse("apikeys:list")).context["keys"]] == [lead_key.pk]
    assert 'name="user"' in client.get(reverse("apikeys:create")).content.decode()
    response = create(client, name="Comms tool", user=communicator.pk)
    assert response.status_code == 200
    key = APIKey.objects.get(name="Comms tool")
    assert (key.user, key.created_by) == (communicator, admin_user)
    # The key reads and writes as the communicator.
    assert ingest(RAW_KEY.search(response.content.decode()).group()).status_code == 200


def test_revoking_is_idempotent(team_lead, client_for, lead_key):
    client = client_for(team_lead)
    client.post(reverse("apikeys:revoke", args=[lead_key.pk]))
    lead_key.refresh_from_db()
    revoked_at = lead_key.revoked_at
    response = client.post(reverse("apikeys:revoke", args=[lead_key.pk]), follow=True)
    assert response.status_code == 200
    assert "already revoked" in response.content.decode()
    lead_key.refresh_from_db()
    assert lead_key.revoked_at == revoked_at


def test_revoked_keys_stay_listed_greyed_with_their_date(team_lead, client_for, lead_key):
    client = client_for(team_lead)
    client.post(reverse("apikeys:revoke", args=[lead_key.pk]))
    body = client.get(reverse("apikeys:list")).content.decode()
    assert "cd-apikey-revoked" in body
    assert "Lead&#x27;s tool" in body
    assert "Revoked" in body
    assert reverse("apikeys:revoke", args=[lead_key.pk]) not in body


def test_list_shows_last_use_or_never(team_lead, client_for, lead_key):
    client = client_for(team_lead)
    assert "never" in client.get(reverse("apikeys:list")).content.decode()
    services.apikey_touch(key=lead_key)
    assert "never" not in client.get(reverse("apikeys:list")).content.decode()


def test_name_is_escaped(team_lead, client_for):
    client = client_for(team_lead)
    name = '<script>alert("x")</script>'
    created = create(client, name=name).content.decode()
    assert name not in created
    assert "&lt;script&gt;" in created
    key = APIKey.objects.get()
    for url in (reverse("apikeys:list"), reverse("apikeys:revoke", args=[key.pk])):
        body = client.get(url).content.decode()
        assert name not in body
        assert "&lt;script&gt;" in body
    body = client.post(reverse("apikeys:revoke", args=[key.pk]), follow=True).content.decode()
    assert name not in body


def test_list_query_count_is_flat(team_lead, client_for):
    client = client_for(team_lead)
    services.apikey_create(actor=team_lead, name="first", scopes=["read"])
    client.get(reverse("apikeys:list"))  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one_key:
        client.get(reverse("apikeys:list"))
    creator = UserFactory(role=TEAM_LEAD)
    for i in range(30):
        services.apikey_create(actor=team_lead, name=f"tool {i}", scopes=["ingest"])
        services.apikey_create(actor=creator, name=f"other {i}", scopes=["ingest"], user=team_lead)
    with CaptureQueriesContext(connection) as many_keys:
        response = client.get(reverse("apikeys:list"))
    assert len(response.context["keys"]) == 61
    assert len(many_keys.captured_queries) == len(one_key.captured_queries)
