"""Activating a playbook suggests the one written for the incident's category; otherwise nothing is preselected."""

import html
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from crisisdesk.testing.factories import IncidentFactory
from incidents import hooks
from playbooks.tests.playbook_helpers import active_playbook, make_playbook, second_team_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(team_lead):
    author = second_team_lead()
    return {
        # Listed first by title: the old default preselected it for every incident.
        "conduct": active_playbook(
            author=author, approver=team_lead, title="A — Executive misconduct", scenario="executive_conduct"
        ),
        "defect": active_playbook(
            author=author, approver=team_lead, title="B — Product defect", scenario="product_defect"
        ),
        # Never approved: not activatable, never suggested.
        "draft_outage": make_playbook(author=author, title="C — Outage", scenario="service_outage"),
    }


def select_html(response) -> str:
    page = response.content.decode()
    return re.search(r'<select[^>]*id="activate-playbook".*?</select>', page, re.S).group(0)


def test_the_matching_playbook_is_preselected_with_the_reason(client_for, team_lead, catalogue):
    incident = IncidentFactory(category="product_defect")
    response = client_for(team_lead).get(reverse("incidents:detail", args=[incident.reference]))
    assert response.context["suggested_playbook"] == catalogue["defect"]
    select = select_html(response)
    assert f'<option value="{catalogue["defect"].pk}" selected>' in select
    assert f'<option value="{catalogue["conduct"].pk}">' in select
    assert "required" in select
    assert "is written for this incident's category (Product defect)" in html.unescape(response.content.decode())


def test_without_a_match_nothing_is_preselected_and_a_choice_is_required(client_for, team_lead, catalogue):
    incident = IncidentFactory(category="misinformation")
    client = client_for(team_lead)
    response = client.get(reverse("incidents:detail", args=[incident.reference]))
    assert response.context["suggested_playbook"] is None
    select = select_html(response)
    assert '<option value="" selected>— choose a playbook —</option>' in select
    assert " selected" not in select.replace('<option value="" selected>', "")
    assert "required" in select
    assert "choose one deliberately" in html.unescape(response.content.decode())
    # Posting without a choice activates nothing and says why.
    response = client.post(reverse("incidents:activate_playbook", args=[incident.reference]), {"playbook": ""})
    assert response.status_code == 302
    assert not incident.tasks.exists()
    assert "Choose a playbook to activate." in [str(m) for m in get_messages(response.wsgi_request)]
    response = client.post(reverse("incidents:activate_playbook", args=[incident.reference]), {})
    assert not incident.tasks.exists()


def test_among_several_matches_the_incident_language_then_the_newest_active_version(team_lead, catalogue, settings):
    author = second_team_lead()
    newer = active_playbook(author=author, approver=team_lead, title="D — Defect, newer", scenario="product_defect")
    french = active_playbook(
        author=author, approver=team_lead, title="E — Défaut", scenario="product_defect", language="fr"
    )
    incident = IncidentFactory(category="product_defect")
    settings.LANGUAGE_CODE = "en"
    assert hooks.playbook_catalogue().suggested(team_lead, incident=incident) == newer
    settings.LANGUAGE_CODE = "fr"
    assert hooks.playbook_catalogue().suggested(team_lead, incident=incident) == french


def test_outsider_sees_no_suggestion_and_cannot_activate(client_for, outsider, catalogue):
    incident = IncidentFactory(category="product_defect")
    assert hooks.playbook_catalogue().suggested(outsider, incident=incident) is None
    assert client_for(outsider).get(reverse("incidents:detail", args=[incident.reference])).status_code == 404
    response = client_for(outsider).post(
        reverse("incidents:activate_playbook", args=[incident.reference]), {"playbook": catalogue["defect"].pk}
    )
    assert response.status_code == 404
    assert not incident.tasks.exists()
