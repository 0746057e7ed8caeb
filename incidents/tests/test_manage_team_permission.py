"""The crisis team's forms, loaded on demand from the war room (incidents.views.ManageTeamView, issue 15)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, role
from incidents.models import Status
from incidents.views import FRAGMENT_HEADER

pytestmark = pytest.mark.django_db


def manage_url(incident):
    return reverse("incidents:manage_team", args=[incident.reference])


def test_the_war_room_links_a_manager_to_the_team_forms_and_no_one_else(client_for, team_lead, communicator):
    incident = IncidentFactory(lead=team_lead)
    MembershipFactory(incident=incident, user=communicator, role=role("communications"))
    lead_page = client_for(team_lead).get(incident.get_absolute_url()).content.decode()
    assert manage_url(incident) in lead_page
    assert 'name="lead"' not in lead_page  # not rendered inline any more
    member_page = client_for(communicator).get(incident.get_absolute_url()).content.decode()
    assert manage_url(incident) not in member_page


def test_the_page_works_without_javascript_and_the_fragment_is_the_same_forms(client_for, team_lead):
    incident = IncidentFactory(lead=team_lead)
    client = client_for(team_lead)
    page = client.get(manage_url(incident))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<html" in body and reverse("incidents:add_member", args=[incident.reference]) in body
    assert 'name="lead"' in body and 'name="user"' in body and 'name="role"' in body
    assert FRAGMENT_HEADER in page["Vary"]
    fragment = client.get(manage_url(incident), headers={FRAGMENT_HEADER: "1"})
    assert fragment.status_code == 200
    fragment_body = fragment.content.decode()
    assert "<html" not in fragment_body
    assert reverse("incidents:set_lead", args=[incident.reference]) in fragment_body
    assert 'name="csrfmiddlewaretoken"' in fragment_body
    # The lead is preselected; one query offers the people to both forms.
    assert f'value="{team_lead.pk}" selected' in fragment_body


def test_a_member_who_may_not_manage_gets_403_and_an_outsider_404(
    client_for, communicator, observer, team_lead, confidential_incident
):
    incident = IncidentFactory(lead=team_lead)
    MembershipFactory(incident=incident, user=communicator, role=role("communications"))
    assert client_for(communicator).get(manage_url(incident)).status_code == 403
    assert client_for(observer).get(manage_url(confidential_incident)).status_code == 404
    assert client_for(observer).get(reverse("incidents:manage_team", args=["CD-1999-9999"])).status_code == 404


def test_a_closed_incident_offers_no_team_forms(client_for, team_lead):
    now = timezone.now()
    incident = IncidentFactory(
        lead=team_lead, status=Status.CLOSED, acknowledged_at=now, resolved_at=now, closed_at=now
    )
    assert client_for(team_lead).get(manage_url(incident)).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, team_lead):
    response = client.get(manage_url(IncidentFactory(lead=team_lead)))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_fragment_costs_people_and_roles_once_each(client_for, team_lead):
    incident = IncidentFactory(lead=team_lead)
    client = client_for(team_lead)
    client.get(manage_url(incident))
    with CaptureQueriesContext(connection) as ctx:
        client.get(manage_url(incident), headers={FRAGMENT_HEADER: "1"})
    people = [q for q in ctx.captured_queries if 'FROM "auth_user"' in q["sql"] and "role" not in q["sql"].lower()]
    roles = [q for q in ctx.captured_queries if 'FROM "incidents_incidentrole"' in q["sql"]]
    assert len(roles) == 1
    # session, user with permissions, incident, people (shared by both forms), roles (+ the badges of base.html: none).
    assert len(ctx.captured_queries) <= 6, [q["sql"] for q in ctx.captured_queries]
    assert people
