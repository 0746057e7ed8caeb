"""``GET /api/v1/roster/who-to-call/``: the browser's who-to-call page for integrations, per persona."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crisisdesk.testing.factories import role
from incidents.models import IncidentRole
from playbooks.roster.services import department_create, person_create, person_update

pytestmark = pytest.mark.django_db

URL = "/api/v1/roster/who-to-call/"


@pytest.fixture
def roster(team_lead):
    pr = department_create(actor=team_lead, name="PR")
    backup = person_create(actor=team_lead, full_name="Bea Backup", phone="+33 6 11", roles=[(role("spokesperson"), 3)])
    second = person_create(actor=team_lead, full_name="Sam Second", roles=[(role("spokesperson"), 2)])
    first = person_create(
        actor=team_lead,
        full_name="Paul Press",
        department=pr,
        phone="+33 6 00",
        email="paul@example.com",
        languages=["en", "fr"],
        backup=backup,
        roles=[(role("spokesperson"), 1), (role("legal"), 2)],
    )
    gone = person_create(actor=team_lead, full_name="Olga Old", roles=[(role("legal"), 1)])
    person_update(actor=team_lead, person=gone, active=False)
    return first, second, backup


def by_code(body) -> dict:
    return {entry["role"]["code"]: entry for entry in body}


@pytest.mark.parametrize("persona", ["communicator", "legal", "team_lead", "observer"])
def test_every_role_reads_who_to_call(api, persona, roster):
    first, second, backup = roster
    response = api(persona).get(URL)
    assert response.status_code == 200, response.json()
    body = by_code(response.json())
    assert set(body) == set(IncidentRole.objects.values_list("code", flat=True))
    spokesperson = body["spokesperson"]
    assert spokesperson["primary"]["full_name"] == "Paul Press"
    assert spokesperson["primary"]["phone"] == "+33 6 00" and spokesperson["primary"]["department"] == "PR"
    # The first call's named backup wins over the next in line.
    assert spokesperson["backup"]["full_name"] == "Bea Backup"
    assert [p["full_name"] for p in spokesperson["people"]] == ["Paul Press", "Sam Second", "Bea Backup"]
    # Inactive people are never called (Olga was first call for legal); the backup is the browser's: Paul's own.
    legal = body["legal"]
    assert [p["full_name"] for p in legal["people"]] == ["Paul Press"]
    assert legal["backup"]["full_name"] == "Bea Backup"
    assert body["lead"]["primary"] is None and body["lead"]["people"] == []


def test_outsider_may_not_read_who_to_call(api, roster):
    response = api("outsider").get(URL)
    assert response.status_code == 403
    assert "Paul" not in response.content.decode()


def test_anonymous_may_not_read_who_to_call(client, roster):
    assert client.get(URL).status_code in (401, 403)


def test_filter_by_role(api, roster):
    client = api("observer")
    body = client.get(URL, {"role": ["legal", "spokesperson"]}).json()
    assert sorted(entry["role"]["code"] for entry in body) == ["legal", "spokesperson"]
    response = client.get(URL, {"role": "astronaut"})
    assert response.status_code == 400 and "role" in response.json()


def test_who_to_call_is_read_only(api, roster):
    assert api("team_lead").post(URL, {}, format="json").status_code == 405


def test_who_to_call_query_count_is_flat(api, team_lead):
    client = api("communicator")
    person_create(actor=team_lead, full_name="P 0", roles=[(role("spokesperson"), 1)])
    with CaptureQueriesContext(connection) as one:
        assert client.get(URL).status_code == 200
    department = department_create(actor=team_lead, name="Ops")
    previous = None
    for n in range(1, 50):
        previous = person_create(
            actor=team_lead,
            full_name=f"P {n}",
            department=department,
            backup=previous,
            roles=[(role("spokesperson"), n + 1), (role("legal"), n)],
        )
    with CaptureQueriesContext(connection) as many:
        body = by_code(client.get(URL).json())
    assert len(body["spokesperson"]["people"]) == 50
    assert len(many) == len(one)


def test_read_key_reads_who_to_call_an_ingest_key_does_not(admin_user, observer, roster):
    from rest_framework.test import APIClient

    from crisisdesk.apikeys import services as key_services

    for scopes, expected in ((["read"], 200), (["ingest"], 403)):
        _, raw_key = key_services.apikey_create(actor=admin_user, name=f"Key {scopes}", scopes=scopes, user=observer)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
        assert client.get(URL).status_code == expected, scopes


def test_odd_role_values_are_400(api, roster):
    for value in ("\x00", "x" * 1000, ""):
        response = api("observer").get(URL, {"role": value})
        assert response.status_code in (200, 400), value
    assert api("observer").get(URL, {"role": "\x00"}).status_code == 400
