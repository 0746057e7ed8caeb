"""Response API: targets per persona (read, team leads change), validation, and an incident's clocks."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crisisdesk.review import services as review
from crisisdesk.review.tests.helpers import statement_in
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, role
from incidents import services as incident_services
from incidents.response.models import ResponseTarget

pytestmark = pytest.mark.django_db

TARGETS = "/api/v1/response-targets/"
READERS = ["communicator", "legal", "observer", "team_lead"]


def clocks_url(incident) -> str:
    return f"/api/v1/incidents/{incident.reference}/clocks/"


# --- targets ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", READERS)
def test_every_role_reads_the_targets(api, persona):
    response = api(persona).get(TARGETS)
    assert response.status_code == 200
    body = response.json()
    assert [row["severity"] for row in body] == [1, 2, 3, 4]
    assert body[0]["acknowledge_minutes"] == 15 and body[0]["update_interval_minutes"] == 30
    one = api(persona).get(f"{TARGETS}2/")
    assert one.status_code == 200 and one.json()["acknowledge_minutes"] == 30


def test_outsider_reads_no_targets(api):
    assert api("outsider").get(TARGETS).status_code == 403
    assert api("outsider").get(f"{TARGETS}1/").status_code == 404
    assert api("outsider").patch(f"{TARGETS}1/", {"acknowledge_minutes": 5}, format="json").status_code == 404


def test_unknown_severity_is_404(api):
    assert api("team_lead").get(f"{TARGETS}9/").status_code == 404
    assert api("team_lead").get(f"{TARGETS}x/").status_code == 404


def test_team_lead_changes_a_target_fields_not_sent_keep_their_value(api, team_lead):
    response = api("team_lead").patch(f"{TARGETS}1/", {"acknowledge_minutes": 10}, format="json")
    assert response.status_code == 200, response.json()
    target = ResponseTarget.objects.get(severity=1)
    assert (target.acknowledge_minutes, target.first_response_minutes, target.update_interval_minutes) == (10, 60, 30)
    assert target.updated_by == team_lead
    assert response.json()["acknowledge_minutes"] == 10 and response.json()["updated_by"] == "lead"


def test_null_ends_the_cadence(api):
    response = api("team_lead").patch(
        f"{TARGETS}1/", {"update_interval_minutes": None, "update_window_minutes": None}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert ResponseTarget.objects.get(severity=1).update_interval_minutes is None


@pytest.mark.parametrize("persona", ["communicator", "legal", "observer"])
def test_only_team_leads_change_targets(api, persona):
    response = api(persona).patch(f"{TARGETS}2/", {"acknowledge_minutes": 1}, format="json")
    assert response.status_code == 403
    assert ResponseTarget.objects.get(severity=2).acknowledge_minutes == 30


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"acknowledge_minutes": 0}, "acknowledge_minutes"),
        ({"acknowledge_minutes": "soon"}, "acknowledge_minutes"),
        ({"acknowledge_minutes": 2**40}, "acknowledge_minutes"),
        ({"first_response_minutes": None}, "first_response_minutes"),
        # The service's rules, with the field they concern.
        ({"acknowledge_minutes": 120}, "first_response_minutes"),
        ({"update_interval_minutes": None}, "update_window_minutes"),
        ({"severity": 3}, "severity"),
    ],
)
def test_bad_targets_are_400_with_the_field_and_nothing_changes(api, body, field):
    before = ResponseTarget.objects.get(severity=1)
    response = api("team_lead").patch(f"{TARGETS}1/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    after = ResponseTarget.objects.get(severity=1)
    assert (after.acknowledge_minutes, after.first_response_minutes, after.update_interval_minutes) == (
        before.acknowledge_minutes,
        before.first_response_minutes,
        before.update_interval_minutes,
    )


def test_targets_have_no_create_or_delete(api):
    assert api("team_lead").post(TARGETS, {"severity": 5}, format="json").status_code == 405
    assert api("team_lead").delete(f"{TARGETS}1/").status_code == 405


# --- clocks ------------------------------------------------------------------------------------


@pytest.fixture
def sev1(team_lead, communicator):
    incident = IncidentFactory(severity=1, detected_at=timezone.now() - timedelta(minutes=12), lead=team_lead)
    MembershipFactory(incident=incident, user=communicator, role=role("communications"))
    return incident


@pytest.mark.parametrize("persona", READERS)
def test_clocks_of_an_incident(api, persona, sev1):
    response = api(persona).get(clocks_url(sev1))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["incident"] == sev1.reference and body["severity"] == 1
    assert body["target"]["acknowledge_minutes"] == 15
    codes = [clock["code"] for clock in body["clocks"]]
    assert codes == ["acknowledge", "first_response"]
    acknowledge = body["clocks"][0]
    # 12 of 15 minutes: past the 75 % threshold.
    assert acknowledge["stage"] == "due_soon" and acknowledge["due_soon"] and not acknowledge["overdue"]
    assert acknowledge["target_minutes"] == 15 and 0 < acknowledge["remaining_seconds"] <= 3 * 60
    assert body["due_soon"] and not body["overdue"]


def test_clocks_follow_acknowledgement_and_time(api, team_lead, sev1):
    incident_services.incident_acknowledge(actor=team_lead, incident=sev1)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        body = api("observer").get(clocks_url(sev1)).json()
    acknowledge, first = body["clocks"]
    assert acknowledge["met"] and acknowledge["stage"] is None and acknowledge["met_at"]
    assert first["overdue"] and first["remaining_seconds"] < 0
    assert body["overdue"]


def test_confidential_incident_clocks_are_hidden_like_missing(api, confidential_incident):
    assert api("team_lead").get(clocks_url(confidential_incident)).status_code == 200
    for persona in ["communicator", "legal", "observer", "outsider"]:
        hidden = api(persona).get(clocks_url(confidential_incident))
        missing = api(persona).get("/api/v1/incidents/CD-1999-0000/clocks/")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()


def test_outsider_sees_no_clocks(api, sev1):
    assert api("outsider").get(clocks_url(sev1)).status_code == 404


def test_clocks_query_count_does_not_grow_with_statements_or_members(api, sev1, communicator, legal, team_lead):
    client = api("observer")
    # The first request of a test process stamps the session's sign-in time (crisisdesk.middleware) and saves it.
    assert client.get(clocks_url(sev1)).status_code == 200
    with CaptureQueriesContext(connection) as one:
        assert client.get(clocks_url(sev1)).status_code == 200
    for _ in range(5):
        MembershipFactory(incident=sev1)
    for n in range(3):
        # Severity 1: legal and the incident lead both approve before it is published.
        statement = statement_in(
            "approved",
            author=communicator,
            reviewer=legal,
            publisher=None,
            withdrawer=None,
            incident=sev1,
            title=f"Update {n}",
        )
        review.review_approve(actor=team_lead, item=statement, revision=statement.current_revision)
        review.review_publish(actor=communicator, item=statement)
    with CaptureQueriesContext(connection) as many:
        response = client.get(clocks_url(sev1))
    assert response.status_code == 200
    # The statements count: the first public response is met now.
    first_response = next(clock for clock in response.json()["clocks"] if clock["code"] == "first_response")
    assert first_response["met"]
    assert len(many) == len(one)


# --- integration API keys ---------------------------------------------------------------------


def key_client(admin_user, user, *scopes):
    from rest_framework.test import APIClient

    from crisisdesk.apikeys import services as key_services

    _, raw_key = key_services.apikey_create(actor=admin_user, name="Integration", scopes=list(scopes), user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def test_read_key_reads_targets_and_clocks_but_cannot_change_targets(admin_user, team_lead, sev1):
    client = key_client(admin_user, team_lead, "read")
    assert client.get(TARGETS).status_code == 200
    assert client.get(f"{TARGETS}1/").status_code == 200
    assert client.get(clocks_url(sev1)).status_code == 200
    assert client.patch(f"{TARGETS}1/", {"acknowledge_minutes": 5}, format="json").status_code == 403
    assert ResponseTarget.objects.get(severity=1).acknowledge_minutes == 15


def test_write_key_of_a_team_lead_changes_targets(admin_user, team_lead):
    client = key_client(admin_user, team_lead, "write")
    assert client.patch(f"{TARGETS}1/", {"acknowledge_minutes": 5}, format="json").status_code == 200
    assert ResponseTarget.objects.get(severity=1).acknowledge_minutes == 5
    # Reading needs the read scope.
    assert client.get(TARGETS).status_code == 403


@pytest.mark.parametrize("body", [[1, 2], "x", {"acknowledge_minutes": True}, {"acknowledge_minutes": 1.5}])
def test_malformed_target_bodies_are_400(api, body):
    assert api("team_lead").patch(f"{TARGETS}1/", body, format="json").status_code == 400
    assert ResponseTarget.objects.get(severity=1).acknowledge_minutes == 15


def test_odd_references_for_clocks_are_404(api):
    for reference in ("%E2%80%AE", "x" * 300):
        assert api("team_lead").get(f"/api/v1/incidents/{reference}/clocks/").status_code == 404
    # A NUL in a URL is refused before routing, for every path (crisisdesk.request_guard): a 400, never a 500.
    assert api("team_lead").get("/api/v1/incidents/%00/clocks/").status_code == 400
