"""Browser test: the war room's team forms load in place on demand (incidents.views.ManageTeamView)."""

import re

import pytest
from playwright.sync_api import expect

from crisisdesk.testing.factories import IncidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_lead_opens_the_team_forms_in_place_and_adds_someone(page, team_lead, communicator, password):
    incident = IncidentFactory(lead=team_lead)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(team_lead.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(incident.get_absolute_url())
    team = page.locator("section", has=page.get_by_role("heading", name="Crisis team"))
    team.get_by_role("link", name="Add someone or change the lead").click()
    # Fetched into the war room: same page, the forms in the team's card.
    expect(team.get_by_label("Person")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(incident.get_absolute_url()) + "$"))
    team.get_by_label("Person").select_option(str(communicator.pk))
    team.get_by_label("Role").select_option(index=1)
    team.get_by_role("button", name="Add to team").click()
    expect(page).to_have_url(re.compile(re.escape(incident.get_absolute_url()) + "$"))
    assert incident.memberships.filter(user=communicator).exists()
