"""Spike rules in the browser: everyone with the listening role reads them, only team leads create and edit."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from crisisdesk.roles import TEAM_LEAD
from crisisdesk.testing.factories import UserFactory
from incidents.listening import services as mention_services
from incidents.listening.models import SpikeAction, SpikeRule

READERS = ["communicator", "legal", "team_lead", "observer"]


@pytest.fixture
def term(db, team_lead):
    return mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")


@pytest.fixture
def rule(term, team_lead):
    return mention_services.spike_rule_save(actor=team_lead, data={"name": "Acme spike", "watch_term": term})


def form_data(term, **changes):
    return {
        "name": "Negative burst",
        "watch_term": term.pk,
        "window_minutes": 30,
        "baseline_days": 7,
        "min_count": 15,
        "volume_factor": 2.5,
        "negative_share_rise": 0.25,
        "recent_windows": 2,
        "cooldown_minutes": 90,
        "action": SpikeAction.NOTIFY,
        "attach_to": "",
        "default_category": "misinformation",
        "default_severity": 2,
        "active": "on",
        **changes,
    }


@pytest.mark.parametrize("persona", READERS)
def test_listening_roles_read_the_rules(persona, personas, rule, client_for):
    response = client_for(personas[persona]).get(reverse("mentions:rules"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Acme spike" in body
    assert (reverse("mentions:rule_edit", args=[rule.pk]) in body) == (persona == "team_lead")


def test_outsider_gets_403(outsider, rule, client_for):
    client = client_for(outsider)
    assert client.get(reverse("mentions:rules")).status_code == 403
    assert client.get(reverse("mentions:rule_create")).status_code == 403


@pytest.mark.parametrize("persona", ["communicator", "legal", "observer", "outsider"])
def test_only_team_leads_create_and_edit(persona, personas, term, rule, client_for):
    client = client_for(personas[persona])
    assert client.get(reverse("mentions:rule_create")).status_code == 403
    assert client.post(reverse("mentions:rule_create"), form_data(term)).status_code == 403
    assert client.post(reverse("mentions:rule_edit", args=[rule.pk]), form_data(term)).status_code == 403
    assert list(SpikeRule.objects.values_list("name", flat=True)) == ["Acme spike"]


def test_anonymous_is_sent_to_log_in(client, rule):
    response = client.get(reverse("mentions:rule_create"))
    assert response.status_code == 302 and "login" in response.url


def test_team_lead_creates_a_rule(team_lead, term, client_for):
    client = client_for(team_lead)
    assert client.get(reverse("mentions:rule_create")).status_code == 200
    response = client.post(reverse("mentions:rule_create"), form_data(term))
    assert response.status_code == 302 and response.url == reverse("mentions:rules")
    rule = SpikeRule.objects.get()
    assert (rule.name, rule.window_minutes, rule.min_count, rule.created_by) == ("Negative burst", 30, 15, team_lead)
    # What "Open incident" on its alerts pre-fills is set in the same form.
    assert (rule.default_category, rule.default_severity) == ("misinformation", 2)


def test_team_lead_edits_a_rule_and_service_errors_show_on_the_form(team_lead, term, rule, incident, client_for):
    client = client_for(team_lead)
    url = reverse("mentions:rule_edit", args=[rule.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, form_data(term, action=SpikeAction.ATTACH))
    assert response.status_code == 200
    assert response.context["form"].errors["attach_to"]
    response = client.post(url, form_data(term, action=SpikeAction.ATTACH, attach_to=incident.pk, active=""))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.attach_to == incident and not rule.active and rule.name == "Negative burst"


def test_only_incidents_the_lead_may_see_can_be_the_attach_target(
    team_lead, term, rule, confidential_incident, client_for
):
    # The team lead is on the confidential incident's team: they may attach to it.
    response = client_for(team_lead).post(
        reverse("mentions:rule_edit", args=[rule.pk]),
        form_data(term, action=SpikeAction.ATTACH, attach_to=confidential_incident.pk),
    )
    assert response.status_code == 302
    assert SpikeRule.objects.get(pk=rule.pk).attach_to == confidential_incident
    # Another team lead is not: the incident is not even offered, and the service refuses it.
    other_lead = UserFactory(username="lead2", role=TEAM_LEAD)
    response = client_for(other_lead).post(
        reverse("mentions:rule_edit", args=[rule.pk]),
        form_data(term, name="Hijack", action=SpikeAction.ATTACH, attach_to=confidential_incident.pk),
    )
    assert response.status_code == 200 and response.context["form"].errors["attach_to"]
    with pytest.raises(PermissionDenied):
        mention_services.spike_rule_save(
            actor=other_lead, rule=rule, data={"action": SpikeAction.ATTACH, "attach_to": confidential_incident}
        )
    assert SpikeRule.objects.get(pk=rule.pk).name == "Negative burst"  # the first, legitimate edit
