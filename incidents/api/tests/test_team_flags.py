"""The API detail answers "on the team?" and "the incident's lead?" from two EXISTS read with the incident.

``IncidentQuerySet.with_team_flags(user)`` replaces a prefetch of the whole team (one query fewer per
detail); ``incidents.permissions`` reads the flags only for the user they were read for. These tests
pin that the answers are the same as the rules' own queries in every case the flags decide.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, UserFactory, role
from crisisdesk.tests.test_api_query_counts import token_client
from incidents import permissions
from incidents.models import Incident, Status

pytestmark = pytest.mark.django_db

CLOSABLE = [Status.INVESTIGATING, Status.RESPONDING, Status.MONITORING, Status.RESOLVED]


def detail(api, user, incident):
    return api(user).get(f"/api/v1/incidents/{incident.reference}/")


def test_a_lead_by_team_role_gets_the_leads_transitions(api, observer, team_lead):
    # An observer holds no transition permission; leading the crisis team (not incident.lead) grants them.
    incident = IncidentFactory(lead=team_lead)
    assert detail(api, observer, incident).json()["allowed_transitions"] == []
    MembershipFactory(incident=incident, user=observer, role=role("lead"))
    assert detail(api, observer, incident).json()["allowed_transitions"] == CLOSABLE


def test_a_team_member_in_another_role_is_no_lead(api, observer, team_lead):
    incident = IncidentFactory(lead=team_lead)
    MembershipFactory(incident=incident, user=observer, role=role("communications"))
    assert detail(api, observer, incident).json()["allowed_transitions"] == []


def test_a_confidential_incident_is_seen_by_its_members_only(api, observer, team_lead):
    incident = IncidentFactory(lead=team_lead, confidential=True)
    assert detail(api, observer, incident).status_code == 404
    MembershipFactory(incident=incident, user=observer, role=role("lead"))
    response = detail(api, observer, incident)
    assert response.status_code == 200
    assert response.json()["allowed_transitions"] == CLOSABLE


def test_the_detail_reads_the_team_with_the_incident(api, communicator, team_lead):
    incident = IncidentFactory(lead=team_lead)
    MembershipFactory(incident=incident, user=communicator, role=role("communications"))
    client = token_client(communicator)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/incidents/{incident.reference}/")
    assert response.status_code == 200
    assert response.json()["allowed_transitions"] == CLOSABLE
    # The token's user with their permissions, then the incident with both flags: nothing per status.
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len(statements) == 2, "\n".join(statements)
    assert statements[1].startswith('SELECT "incidents_incident"."id"')
    assert 'AS "viewer_on_team"' in statements[1] and 'AS "viewer_leads_team"' in statements[1]


@pytest.mark.parametrize("member_role", [None, "communications", "lead"])
def test_flags_agree_with_the_rules_and_describe_only_their_user(team_lead, member_role):
    person, other = UserFactory(), UserFactory()
    incident = IncidentFactory(lead=team_lead, confidential=True)
    if member_role:
        MembershipFactory(incident=incident, user=person, role=role(member_role))
        MembershipFactory(incident=incident, user=other, role=role("lead"))
    flagged = Incident.objects.with_team_flags(person).get(pk=incident.pk)
    plain = Incident.objects.get(pk=incident.pk)
    for user in (person, other, team_lead):
        assert permissions.is_member(user, flagged) == permissions.is_member(user, plain)
        assert permissions.is_incident_lead(user, flagged) == permissions.is_incident_lead(user, plain)
    assert permissions.is_member(person, flagged) is (member_role is not None)
    assert permissions.is_incident_lead(person, flagged) is (member_role == "lead")
    # Another user's answers come from the rules' own query, not from the person's flags.
    with CaptureQueriesContext(connection) as ctx:
        permissions.is_member(other, flagged)
    assert len(ctx.captured_queries) == 1
    with CaptureQueriesContext(connection) as ctx:
        permissions.is_member(person, flagged)
    assert len(ctx.captured_queries) == 0
