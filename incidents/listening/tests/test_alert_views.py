"""Unhandled alerts where people look: the dashboard card, the navigation badge, the browser actions, the admin."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisisdesk.testing.factories import IncidentFactory
from incidents.listening import alerts as alert_services
from incidents.listening.models import Alert, AlertHandling
from incidents.listening.tests.alert_helpers import make_alert, make_rule
from incidents.models import Incident

pytestmark = pytest.mark.django_db

DASHBOARD = "/"
OPEN_HOLDING = "Open incident and draft holding statement"


@pytest.fixture
def alert(team_lead):
    return make_alert(make_rule(team_lead))


def badge(body: str) -> int | None:
    match = re.search(r'cd-alert-count">(\d+)<', body)
    return int(match.group(1)) if match else None


def get(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_dashboard_url():
    assert reverse("dashboard") == DASHBOARD


@pytest.mark.parametrize("persona", ["communicator", "team_lead"])
def test_the_dashboard_and_the_badge_show_an_unhandled_alert_until_it_is_handled(client_for, personas, persona, alert):
    client = client_for(personas[persona])
    body = get(client, DASHBOARD)
    assert "cd-dashboard-alerts" in body and "Spike of “Acme”" in body
    assert OPEN_HOLDING in body
    assert badge(body) == 1
    alert_services.alert_dismiss(actor=personas[persona], alert=alert, reason="Known issue.")
    body = get(client, DASHBOARD)
    assert "cd-dashboard-alerts" not in body
    assert badge(body) is None
    assert 'href="/mentions/alerts/"' in body  # the link stays, without a badge


def test_readers_who_may_not_handle_see_the_alert_without_actions(client_for, legal, alert):
    body = get(client_for(legal), DASHBOARD)
    assert "Spike of “Acme”" in body and badge(body) == 1
    assert OPEN_HOLDING not in body


def test_the_outsider_sees_no_alert_and_no_alerts_link(client_for, outsider, alert):
    response = client_for(outsider).get(reverse("incidents:list"))
    body = response.content.decode()
    assert "Spike of" not in body and badge(body) is None and "/mentions/alerts/" not in body


def test_an_alert_on_a_hidden_incident_is_not_counted(client_for, communicator, team_lead, confidential_incident):
    rule = make_rule(team_lead)
    make_alert(rule, incident=confidential_incident)
    assert badge(get(client_for(team_lead), DASHBOARD)) == 1
    assert badge(get(client_for(communicator), DASHBOARD)) is None


def test_the_badge_counts_every_unhandled_alert_and_the_card_lists_the_newest(client_for, communicator, team_lead):
    rule = make_rule(team_lead)
    for _ in range(7):
        make_alert(rule, mentions=0)
    body = get(client_for(communicator), DASHBOARD)
    assert badge(body) == 7
    assert body.count('class="border-top pt-2 mt-2 cd-dashboard-alert"') == 5
    assert "?unhandled=true" in body


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_dashboard_query_count_is_flat_from_1_to_20_alerts(client_for, communicator, team_lead):
    IncidentFactory()
    rule = make_rule(team_lead)
    make_alert(rule)
    client = client_for(communicator)
    with_one = _queries(client, DASHBOARD)
    other = make_rule(team_lead, term="Blender")
    for n in range(19):
        make_alert(rule if n % 2 else other)
    assert _queries(client, DASHBOARD) == with_one


def test_the_badge_costs_one_count_query_on_any_page(client_for, communicator, alert):
    client = client_for(communicator)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("incidents:list")).status_code == 200
    alert_queries = [q["sql"] for q in queries if "listening_alert" in q["sql"] or '"incidents_alert"' in q["sql"]]
    assert len(alert_queries) == 1 and "COUNT(" in alert_queries[0].upper()


# --- browser actions ------------------------------------------------------------------------------


def test_open_incident_and_draft_holding_statement_redirects_to_the_statement_form(client_for, communicator, alert):
    response = client_for(communicator).post(
        reverse("mentions:alert_open_incident", args=[alert.pk]), {"then": "holding"}
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response.url == f"/incidents/{incident.reference}/statements/new/?holding=1"
    assert response.url == reverse("incidents:statement_create", args=[incident.reference]) + "?holding=1"
    alert.refresh_from_db()
    assert (alert.handling, alert.incident) == (AlertHandling.OPENED, incident)


def test_open_incident_lands_in_the_war_room(client_for, communicator, alert):
    response = client_for(communicator).post(reverse("mentions:alert_open_incident", args=[alert.pk]))
    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == incident.get_absolute_url()


def test_attach_and_dismiss_from_the_dashboard_go_back_to_it(client_for, communicator, team_lead, incident):
    rule = make_rule(team_lead)
    first, second = make_alert(rule), make_alert(rule)
    client = client_for(communicator)
    body = get(client, DASHBOARD)
    assert f'<option value="{incident.reference}">' in body  # the dashboard's incidents are offered
    response = client.post(
        reverse("mentions:alert_attach", args=[first.pk]), {"incident": incident.reference, "next": DASHBOARD}
    )
    assert response.status_code == 302 and response.url == DASHBOARD
    response = client.post(reverse("mentions:alert_dismiss", args=[second.pk]), {"reason": "Dup.", "next": DASHBOARD})
    assert response.status_code == 302 and response.url == DASHBOARD
    assert set(Alert.objects.values_list("handling", flat=True)) == {"attached", "dismissed"}
    assert "cd-dashboard-alerts" not in get(client, DASHBOARD)


def test_dismiss_without_reason_says_so_and_changes_nothing(client_for, communicator, alert):
    client = client_for(communicator)
    response = client.post(reverse("mentions:alert_dismiss", args=[alert.pk]), {"reason": "  "}, follow=True)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Alert.objects.get(pk=alert.pk).handled_at is None


def test_a_second_handling_is_a_message_not_an_error(client_for, communicator, team_lead, alert):
    alert_services.alert_dismiss(actor=team_lead, alert=alert, reason="First.")
    response = client_for(communicator).post(reverse("mentions:alert_open_incident", args=[alert.pk]), follow=True)
    assert response.status_code == 200
    assert "already handled" in response.content.decode()
    assert not Incident.objects.exists()


def test_an_outside_next_is_ignored(client_for, communicator, alert):
    response = client_for(communicator).post(
        reverse("mentions:alert_dismiss", args=[alert.pk]), {"reason": "x", "next": "https://evil.example/"}
    )
    assert response.url == reverse("mentions:alert", args=[alert.pk])


@pytest.mark.parametrize(("persona", "expected"), [("legal", 403), ("observer", 403), ("outsider", 404)])
@pytest.mark.parametrize("name", ["alert_open_incident", "alert_attach", "alert_dismiss"])
def test_who_may_not_handle_gets_403_or_404(client_for, personas, alert, incident, persona, expected, name):
    response = client_for(personas[persona]).post(
        reverse(f"mentions:{name}", args=[alert.pk]), {"incident": incident.reference, "reason": "x"}
    )
    assert response.status_code == expected
    assert Alert.objects.get(pk=alert.pk).handled_at is None


def test_the_alert_page_offers_the_actions_then_shows_the_handling(client_for, communicator, alert, incident):
    client = client_for(communicator)
    page = reverse("mentions:alert", args=[alert.pk])
    body = get(client, page)
    assert OPEN_HOLDING in body and "Attach to incident" in body and 'name="reason"' in body
    alert_services.alert_dismiss(actor=communicator, alert=alert, reason="Only a joke account.")
    body = get(client, page)
    assert OPEN_HOLDING not in body
    assert "Handled: Dismissed" in body and "Only a joke account." in body


def test_the_alert_list_marks_those_to_handle_and_lists_only_them_on_request(client_for, communicator, alert):
    client = client_for(communicator)
    assert "To handle" in get(client, reverse("mentions:alerts"))
    alert_services.alert_dismiss(actor=communicator, alert=alert, reason="Noise.")
    assert f'href="/mentions/alerts/{alert.pk}/"' in get(client, reverse("mentions:alerts"))
    assert f'href="/mentions/alerts/{alert.pk}/"' not in get(client, reverse("mentions:alerts") + "?unhandled=true")


# --- admin ---------------------------------------------------------------------------------------------


def test_admin_dismiss_asks_for_a_reason_then_dismisses(admin_as, alert):
    client = admin_as("communicator")
    changelist = reverse("admin:incidents_alert_changelist")
    response = client.post(changelist, {"action": "dismiss_alerts", "_selected_action": [alert.pk]})
    assert response.status_code == 200 and "Why these alerts need no incident" in response.content.decode()
    client.post(changelist, {"action": "dismiss_alerts", "_selected_action": [alert.pk], "apply": "1", "comment": ""})
    assert Alert.objects.get(pk=alert.pk).handled_at is None  # a blank reason is refused
    client.post(
        changelist, {"action": "dismiss_alerts", "_selected_action": [alert.pk], "apply": "1", "comment": "Noise."}
    )
    alert.refresh_from_db()
    assert (alert.handling, alert.dismiss_reason) == ("dismissed", "Noise.")


def test_admin_opens_an_incident_from_an_alert(admin_as, alert):
    client = admin_as("team_lead")
    response = client.post(
        reverse("admin:incidents_alert_changelist"), {"action": "open_incidents", "_selected_action": [alert.pk]}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.handling == "opened" and alert.incident.category == "product_defect"


def test_admin_actions_refuse_who_may_not_open_incidents(admin_as, alert):
    client = admin_as("legal")
    client.post(
        reverse("admin:incidents_alert_changelist"), {"action": "open_incidents", "_selected_action": [alert.pk]}
    )
    assert Alert.objects.get(pk=alert.pk).handled_at is None
    assert not Incident.objects.exists()
