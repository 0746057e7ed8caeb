"""REST API: who may do what (per persona), confidentiality, error codes, tokens, pagination, query counts.

Rules themselves are tested in test_services.py; these tests prove the wiring:
every endpoint reaches the service, and every error arrives as the right code.
"""

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from crisisdesk.api.exceptions import validation_error_body
from crisisdesk.testing.factories import (
    FactFactory,
    IncidentFactory,
    MembershipFactory,
    TimelineEntryFactory,
    UserFactory,
    role,
)
from incidents import services
from incidents.models import Fact, FactStatus, Incident, Membership, Status, TimelineEntry, TimelineKind

ROLE_PERSONAS = ["communicator", "legal", "team_lead", "observer"]
ALL_PERSONAS = [*ROLE_PERSONAS, "outsider"]


def access(**expected: int):
    """``@access(communicator=200, …, outsider=404)``: run the test once per persona with its expected code."""
    assert sorted(expected) == sorted(ALL_PERSONAS), "every persona, the outsider included, must be listed"
    return pytest.mark.parametrize("persona,expected", list(expected.items()))


@pytest.fixture
def api(db, request):
    """``api("communicator")`` → an API client logged in (session) as that persona."""

    def client_as(persona: str) -> APIClient:
        user = request.getfixturevalue(persona) if isinstance(persona, str) else persona
        client = APIClient()
        client.force_login(user)
        return client

    return client_as


def incident_url(incident, action: str | None = None) -> str:
    if action:
        return reverse(f"api:incident-{action}", kwargs={"reference": incident.reference})
    return reverse("api:incident-detail", kwargs={"reference": incident.reference})


def list_references(response) -> set[str]:
    return {row["reference"] for row in response.json()["results"]}


# --- incidents: list, retrieve, create, patch -----------------------------------------------


@access(communicator=200, legal=200, team_lead=200, observer=200, outsider=403)
def test_incident_list_access(api, incident, persona, expected):
    response = api(persona).get(reverse("api:incident-list"))
    assert response.status_code == expected
    if expected == 200:
        assert list_references(response) == {incident.reference}


@access(communicator=200, legal=200, team_lead=200, observer=200, outsider=404)
def test_incident_retrieve_access(api, incident, persona, expected):
    response = api(persona).get(incident_url(incident))
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["reference"] == incident.reference
        assert response.json()["status"] == Status.DETECTED


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("communicator", [Status.INVESTIGATING, Status.RESPONDING, Status.MONITORING, Status.RESOLVED]),
        ("team_lead", [Status.INVESTIGATING, Status.RESPONDING, Status.MONITORING, Status.RESOLVED]),
        ("legal", []),
        ("observer", []),
    ],
)
def test_detail_lists_the_transitions_the_user_may_make(api, incident, persona, expected):
    response = api(persona).get(incident_url(incident))
    assert response.json()["allowed_transitions"] == expected


NEW_INCIDENT = {
    "title": "Customers report burning smell from chargers",
    "summary": "A TikTok video with 2M views.",
    "category": "product_defect",
    "severity": 2,
    "affected_channels": ["tiktok", "x"],
}


@access(communicator=201, team_lead=201, legal=403, observer=403, outsider=403)
def test_incident_create_access(api, persona, expected):
    response = api(persona).post(reverse("api:incident-list"), NEW_INCIDENT, format="json")
    assert response.status_code == expected
    created = Incident.objects.filter(title=NEW_INCIDENT["title"])
    if expected == 201:
        body = response.json()
        incident = created.get()
        assert body["reference"] == incident.reference
        assert body["status"] == Status.DETECTED
        assert body["affected_channels"] == ["x", "tiktok"]
        assert incident.timeline.filter(kind=TimelineKind.OPENED).exists()
    else:
        assert not created.exists()


def test_incident_create_reports_field_errors(api):
    client = api("communicator")
    response = client.post(reverse("api:incident-list"), {"severity": 9, "affected_channels": ["fax"]}, format="json")
    assert response.status_code == 400
    assert {"title", "severity", "affected_channels"} <= set(response.json())

    # A rule that only the service knows arrives as a field error too.
    future = (timezone.now() + timezone.timedelta(days=1)).isoformat()
    response = client.post(reverse("api:incident-list"), {"title": "Later", "detected_at": future}, format="json")
    assert response.status_code == 400
    assert "detected_at" in response.json()
    assert not Incident.objects.filter(title="Later").exists()


@access(communicator=200, team_lead=200, legal=403, observer=403, outsider=404)
def test_incident_patch_access(api, incident, persona, expected):
    response = api(persona).patch(incident_url(incident), {"title": "Cracked blender jars: recall"}, format="json")
    assert response.status_code == expected
    incident.refresh_from_db()
    if expected == 200:
        assert response.json()["title"] == incident.title == "Cracked blender jars: recall"
        assert incident.timeline.filter(kind=TimelineKind.EDIT).exists()
    else:
        assert incident.title == "Viral video of a cracked blender jar"


@pytest.mark.parametrize("field,value", [("status", "closed"), ("severity", 1), ("reference", "CD-1999-0001")])
def test_patch_never_changes_workflow_fields(api, incident, field, value):
    response = api("team_lead").patch(incident_url(incident), {field: value, "title": "Renamed"}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED
    assert incident.severity == 3
    assert incident.reference == "CD-2026-0001"
    assert incident.title != "Renamed"


def test_patch_with_status_points_to_the_transition_action(api, incident):
    response = api("communicator").patch(incident_url(incident), {"status": "resolved"}, format="json")
    assert response.status_code == 400
    assert "transition" in response.json()["status"][0]
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED


def test_put_and_delete_are_not_offered(api, incident):
    client = api("team_lead")
    assert client.put(incident_url(incident), {"title": "x"}, format="json").status_code == 405
    assert client.delete(incident_url(incident)).status_code == 405
    assert Incident.objects.filter(pk=incident.pk).exists()


# --- incident actions ------------------------------------------------------------------------


@access(communicator=200, team_lead=200, legal=403, observer=403, outsider=404)
def test_transition_access(api, incident, persona, expected):
    response = api(persona).post(
        incident_url(incident, "transition"), {"status": "investigating", "comment": "Looking into it"}, format="json"
    )
    assert response.status_code == expected
    incident.refresh_from_db()
    if expected == 200:
        assert response.json()["status"] == incident.status == Status.INVESTIGATING
        assert incident.acknowledged_at is not None
        entry = incident.timeline.get(kind=TimelineKind.STATUS_CHANGE)
        assert entry.data == {"from": "detected", "to": "investigating", "comment": "Looking into it"}
    else:
        assert incident.status == Status.DETECTED
        assert not incident.timeline.exists()


def test_invalid_transition_is_409(api, incident):
    response = api("team_lead").post(incident_url(incident, "transition"), {"status": "closed"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["current"] == Status.DETECTED
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED


def test_closing_needs_the_close_permission(api, incident, team_lead):
    services.incident_change_status(actor=team_lead, incident=incident, to_status=Status.RESOLVED)
    response = api("communicator").post(incident_url(incident, "transition"), {"status": "closed"}, format="json")
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED

    response = api("team_lead").post(incident_url(incident, "transition"), {"status": "closed"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == Status.CLOSED
    assert response.json()["closed_at"] is not None
    assert response.json()["allowed_transitions"] == []


def test_transition_to_unknown_status_is_400(api, incident):
    response = api("team_lead").post(incident_url(incident, "transition"), {"status": "exploded"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()


@access(communicator=200, team_lead=200, legal=403, observer=403, outsider=404)
def test_acknowledge_access(api, incident, persona, expected):
    client = api(persona)
    response = client.post(incident_url(incident, "acknowledge"))
    assert response.status_code == expected
    incident.refresh_from_db()
    assert (incident.acknowledged_at is not None) == (expected == 200)
    if expected == 200:
        assert incident.status == Status.DETECTED
        # Twice is a conflict, not a silent success.
        assert client.post(incident_url(incident, "acknowledge")).status_code == 409


@access(team_lead=200, communicator=403, legal=403, observer=403, outsider=404)
def test_severity_access(api, incident, persona, expected):
    response = api(persona).post(
        incident_url(incident, "severity"), {"severity": 1, "comment": "Picked up by national press"}, format="json"
    )
    assert response.status_code == expected
    incident.refresh_from_db()
    assert incident.severity == (1 if expected == 200 else 3)
    if expected == 403:
        assert "team lead" in response.json()["detail"]


def test_severity_out_of_range_is_400(api, incident):
    response = api("team_lead").post(incident_url(incident, "severity"), {"severity": 9}, format="json")
    assert response.status_code == 400
    assert "severity" in response.json()


@access(team_lead=200, communicator=403, legal=403, observer=403, outsider=404)
def test_set_lead_access(api, incident, communicator, persona, expected):
    response = api(persona).post(incident_url(incident, "lead"), {"lead": communicator.pk}, format="json")
    assert response.status_code == expected
    incident.refresh_from_db()
    if expected == 200:
        assert response.json()["lead"]["id"] == communicator.pk == incident.lead_id
        assert incident.memberships.filter(user=communicator, role__code="lead").exists()
    else:
        assert incident.lead_id is None


def test_lead_without_a_role_is_400(api, incident, outsider):
    response = api("team_lead").post(incident_url(incident, "lead"), {"lead": outsider.pk}, format="json")
    assert response.status_code == 400
    assert "lead" in response.json()
    response = api("team_lead").post(incident_url(incident, "lead"), {"lead": 999999}, format="json")
    assert response.status_code == 400


@access(communicator=201, legal=201, team_lead=201, observer=403, outsider=404)
def test_add_note_access(api, incident, persona, expected):
    response = api(persona).post(
        incident_url(incident, "notes"), {"body": "Holding statement drafted.", "kind": "decision"}, format="json"
    )
    assert response.status_code == expected
    notes = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.DECISION)
    if expected == 201:
        assert response.json()["body"] == "Holding statement drafted."
        assert response.json()["incident"] == incident.reference
        assert notes.count() == 1
    else:
        assert not notes.exists()


@pytest.mark.parametrize("payload,field", [({"body": "   "}, "body"), ({"body": "x", "kind": "status_change"}, "kind")])
def test_add_note_validation(api, incident, payload, field):
    response = api("communicator").post(incident_url(incident, "notes"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not incident.timeline.exists()


@access(communicator=201, legal=201, team_lead=201, observer=403, outsider=404)
def test_add_fact_action_access(api, incident, persona, expected):
    response = api(persona).post(
        incident_url(incident, "facts"), {"claim": "The jar is made by supplier B.", "source": "QA"}, format="json"
    )
    assert response.status_code == expected
    if expected == 201:
        assert response.json()["status"] == FactStatus.UNVERIFIED
        assert incident.facts.get().claim == "The jar is made by supplier B."
    else:
        assert not incident.facts.exists()


# --- facts ------------------------------------------------------------------------------------


@access(communicator=201, legal=201, team_lead=201, observer=403, outsider=403)
def test_fact_create_access(api, incident, persona, expected):
    payload = {"incident": incident.reference, "claim": "Batch 42 is affected."}
    response = api(persona).post(reverse("api:fact-list"), payload, format="json")
    assert response.status_code == expected
    assert Fact.objects.filter(incident=incident).exists() == (expected == 201)


def test_fact_create_on_an_invisible_incident_looks_like_a_missing_one(api, confidential_incident):
    client = api("communicator")
    hidden = client.post(reverse("api:fact-list"), {"incident": confidential_incident.reference, "claim": "x"})
    missing = client.post(reverse("api:fact-list"), {"incident": "CD-2026-9999", "claim": "x"})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["incident"] == [m.replace("9999", "0002") for m in missing.json()["incident"]]
    assert not confidential_incident.facts.exists()


@access(communicator=200, legal=200, team_lead=200, observer=403, outsider=404)
def test_fact_verify_access(api, incident, persona, expected):
    fact = FactFactory(incident=incident)
    client = api(persona)
    url = reverse("api:fact-verify", kwargs={"pk": fact.pk})
    response = client.post(url, {"status": "confirmed", "note": "Checked with QA"}, format="json")
    assert response.status_code == expected
    fact.refresh_from_db()
    if expected == 200:
        assert response.json()["status"] == fact.status == FactStatus.CONFIRMED
        assert response.json()["verified_by"]["username"] == fact.verified_by.username
        # Confirming a confirmed fact is a conflict.
        assert client.post(url, {"status": "confirmed"}, format="json").status_code == 409
    else:
        assert fact.status == FactStatus.UNVERIFIED


def test_fact_verify_refuses_unverified_as_a_verdict(api, incident):
    fact = FactFactory(incident=incident)
    response = api("legal").post(reverse("api:fact-verify", kwargs={"pk": fact.pk}), {"status": "unverified"})
    assert response.status_code == 400
    assert "status" in response.json()


@access(communicator=200, legal=200, team_lead=200, observer=200, outsider=403)
def test_fact_list_access(api, incident, persona, expected):
    fact = FactFactory(incident=incident)
    response = api(persona).get(reverse("api:fact-list"), {"incident": incident.reference})
    assert response.status_code == expected
    if expected == 200:
        assert [row["id"] for row in response.json()["results"]] == [fact.pk]


# --- memberships ---------------------------------------------------------------------------------


@access(communicator=200, legal=200, team_lead=200, observer=200, outsider=403)
def test_membership_list_access(api, confidential_incident, persona, expected):
    response = api(persona).get(reverse("api:membership-list"))
    assert response.status_code == expected
    if expected == 200:
        # Only the team lead is on the (confidential) incident's team.
        assert len(response.json()["results"]) == (1 if persona == "team_lead" else 0)


@access(team_lead=201, communicator=403, legal=403, observer=403, outsider=403)
def test_membership_create_access(api, incident, legal, persona, expected):
    payload = {"incident": incident.reference, "user": legal.pk, "role": "legal"}
    response = api(persona).post(reverse("api:membership-list"), payload, format="json")
    assert response.status_code == expected
    joined = Membership.objects.filter(incident=incident, user=legal, role__code="legal")
    if expected == 201:
        assert response.json()["user"]["id"] == legal.pk
        assert response.json()["role"] == "legal"
        assert joined.exists()
        assert incident.timeline.filter(kind=TimelineKind.TEAM_CHANGE).exists()
    else:
        assert not joined.exists()


def test_membership_create_validation(api, incident, legal, outsider):
    client = api("team_lead")
    url = reverse("api:membership-list")
    response = client.post(url, {"incident": incident.reference, "user": legal.pk, "role": "lead"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()
    response = client.post(url, {"incident": incident.reference, "user": outsider.pk, "role": "legal"}, format="json")
    assert response.status_code == 400
    assert "user" in response.json()
    response = client.post(url, {"incident": incident.reference, "user": legal.pk, "role": "juggler"}, format="json")
    assert response.status_code == 400
    assert not incident.memberships.exists()


@access(team_lead=204, communicator=403, legal=403, observer=403, outsider=404)
def test_membership_destroy_access(api, incident, legal, persona, expected):
    membership = MembershipFactory(incident=incident, user=legal, role=role("legal"))
    response = api(persona).delete(reverse("api:membership-detail", kwargs={"pk": membership.pk}))
    assert response.status_code == expected
    assert Membership.objects.filter(pk=membership.pk).exists() == (expected != 204)
    if expected == 204:
        assert incident.timeline.get(kind=TimelineKind.TEAM_CHANGE).data["added"] is False


def test_removing_the_lead_membership_is_409(api, confidential_incident):
    membership = confidential_incident.memberships.get(role__code="lead")
    response = api("team_lead").delete(reverse("api:membership-detail", kwargs={"pk": membership.pk}))
    assert response.status_code == 409
    assert Membership.objects.filter(pk=membership.pk).exists()


# --- timeline and roles ---------------------------------------------------------------------------


@access(communicator=200, legal=200, team_lead=200, observer=200, outsider=403)
def test_timeline_list_access(api, incident, persona, expected):
    entry = TimelineEntryFactory(incident=incident)
    response = api(persona).get(reverse("api:timelineentry-list"), {"incident": incident.reference})
    assert response.status_code == expected
    if expected == 200:
        assert [row["id"] for row in response.json()["results"]] == [entry.pk]


def test_timeline_is_read_only(api, incident):
    entry = TimelineEntryFactory(incident=incident, body="Original")
    client = api("team_lead")
    url = reverse("api:timelineentry-detail", kwargs={"pk": entry.pk})
    assert client.get(url).status_code == 200
    assert client.put(url, {"body": "Rewritten"}, format="json").status_code == 405
    assert client.patch(url, {"body": "Rewritten"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert client.post(reverse("api:timelineentry-list"), {"body": "x"}, format="json").status_code == 405
    entry.refresh_from_db()
    assert entry.body == "Original"


@access(communicator=200, legal=200, team_lead=200, observer=200, outsider=403)
def test_incident_roles_access(api, persona, expected):
    response = api(persona).get(reverse("api:incidentrole-list"))
    assert response.status_code == expected
    if expected == 200:
        assert "lead" in [row["code"] for row in response.json()]


# --- confidentiality ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["communicator", "legal", "observer", "outsider"])
def test_confidential_incident_is_invisible_to_non_members(api, incident, confidential_incident, persona):
    client = api(persona)
    TimelineEntryFactory(incident=confidential_incident, body="Secret")
    fact = FactFactory(incident=confidential_incident)
    entry = confidential_incident.timeline.get()

    assert client.get(incident_url(confidential_incident)).status_code == 404
    for action, payload in [
        ("transition", {"status": "investigating"}),
        ("acknowledge", {}),
        ("notes", {"body": "x"}),
        ("facts", {"claim": "x"}),
        ("severity", {"severity": 1}),
    ]:
        assert client.post(incident_url(confidential_incident, action), payload, format="json").status_code == 404
    assert client.patch(incident_url(confidential_incident), {"title": "x"}, format="json").status_code == 404
    assert client.get(reverse("api:timelineentry-detail", kwargs={"pk": entry.pk})).status_code == 404
    assert client.get(reverse("api:fact-detail", kwargs={"pk": fact.pk})).status_code == 404
    assert client.post(reverse("api:fact-verify", kwargs={"pk": fact.pk}), {"status": "confirmed"}).status_code == 404

    if persona != "outsider":
        assert list_references(client.get(reverse("api:incident-list"))) == {incident.reference}
        assert list_references(client.get(reverse("api:incident-list"), {"q": "Leaked memo"})) == set()
        assert list_references(client.get(reverse("api:incident-list"), {"q": "CD-2026-0002"})) == set()
        assert client.get(reverse("api:timelineentry-list")).json()["results"] == []
        assert client.get(reverse("api:fact-list")).json()["results"] == []

    confidential_incident.refresh_from_db()
    assert confidential_incident.status == Status.DETECTED
    assert confidential_incident.title == "Leaked memo about store closures"


@pytest.mark.parametrize("persona", ["team_lead", "admin_user"])
def test_confidential_incident_is_visible_to_members_and_superusers(api, incident, confidential_incident, persona):
    client = api(persona)
    assert client.get(incident_url(confidential_incident)).status_code == 200
    references = list_references(client.get(reverse("api:incident-list"), {"q": "Leaked memo"}))
    assert references == {confidential_incident.reference}


def test_member_added_to_the_team_gains_access(api, confidential_incident, team_lead, legal):
    services.membership_add(actor=team_lead, incident=confidential_incident, user=legal, role=role("legal"))
    assert api("legal").get(incident_url(confidential_incident)).status_code == 200


# --- authentication, pagination, errors ------------------------------------------------------------


def test_token_auth_for_scripts(incident, communicator, password):
    client = APIClient()
    # 403 while SessionAuthentication comes first in settings; 401 once TokenAuthentication does.
    assert client.get(reverse("api:incident-list")).status_code in (401, 403)

    wrong = client.post(reverse("api:token"), {"username": "comms", "password": "nope"}, format="json")
    assert wrong.status_code == 400
    response = client.post(reverse("api:token"), {"username": "comms", "password": password}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    # The same personal token comes back on the next request.
    again = client.post(reverse("api:token"), {"username": "comms", "password": password}, format="json")
    assert again.json()["token"] == token

    scripted = APIClient()
    scripted.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert list_references(scripted.get(reverse("api:incident-list"))) == {incident.reference}
    response = scripted.post(incident_url(incident, "notes"), {"body": "From a script"}, format="json")
    assert response.status_code == 201
    assert response.json()["author"]["username"] == "comms"

    scripted.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert scripted.get(reverse("api:incident-list")).status_code in (401, 403)


def test_cursor_pagination_walks_every_row_once(api):
    now = timezone.now()
    made = [IncidentFactory(detected_at=now - timezone.timedelta(minutes=i)) for i in range(5)]
    # Two incidents detected at the same instant must still both appear: the key ends on id.
    made.append(IncidentFactory(detected_at=made[2].detected_at))
    client = api("observer")
    seen, url = [], reverse("api:incident-list") + "?page_size=2"
    pages = 0
    while url:
        body = client.get(url).json()
        assert "next" in body
        seen += [row["reference"] for row in body["results"]]
        url = body["next"]
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(i.reference for i in made)
    assert len(seen) == len(set(seen))


def test_validation_errors_name_non_field_errors():
    assert validation_error_body(ValidationError("Broken")) == {"non_field_errors": ["Broken"]}
    body = validation_error_body(ValidationError({NON_FIELD_ERRORS: ["Whole"], "title": ["Too long"]}))
    assert body == {"non_field_errors": ["Whole"], "title": ["Too long"]}


# --- query counts -----------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _make_incident(n: int):
    return IncidentFactory(lead=UserFactory(role="Team lead"))


def _make_timeline(n: int):
    return TimelineEntryFactory(author=UserFactory(role="Communicator"))


def _make_fact(n: int):
    return FactFactory(created_by=UserFactory(), verified_by=UserFactory())


def _make_membership(n: int):
    return MembershipFactory()


@pytest.mark.parametrize(
    "url_name,make",
    [
        ("api:incident-list", _make_incident),
        ("api:timelineentry-list", _make_timeline),
        ("api:fact-list", _make_fact),
        ("api:membership-list", _make_membership),
    ],
)
def test_list_query_count_is_flat(api, url_name, make):
    client = api("observer")
    url = reverse(url_name)
    make(0)
    one = _count_queries(client, url)
    for n in range(49):
        make(n + 1)
    fifty = _count_queries(client, url)
    assert client.get(url).json()["results"].__len__() == 50
    assert fifty == one
