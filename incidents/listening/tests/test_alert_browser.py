"""Browser test in headless Chromium: from the dashboard's alert to drafting the holding statement in one click."""

import re

import pytest
from playwright.sync_api import expect

from incidents.listening.models import Alert
from incidents.listening.tests.alert_helpers import make_alert, make_rule
from incidents.models import Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_dashboard_alert_to_holding_statement_form_in_one_click(page, login_as, communicator, team_lead, password):
    alert = make_alert(make_rule(team_lead))
    clicks = 0

    def click(locator):
        nonlocal clicks
        clicks += 1
        locator.click()

    login_as(page, communicator, password)  # lands on the dashboard
    card = page.locator(".cd-dashboard-alerts")
    expect(card).to_contain_text("Spike of “Acme”")
    expect(page.locator(".cd-alert-count")).to_have_text(re.compile(r"^1"))

    click(card.get_by_role("button", name="Open incident and draft holding statement"))

    page.wait_for_url(re.compile(r"/incidents/[^/]+/statements/new/\?holding=1$"))
    incident = Incident.objects.get()
    assert page.url.endswith(f"/incidents/{incident.reference}/statements/new/?holding=1")
    assert clicks == 1
    assert (incident.category, incident.severity) == ("product_defect", 2)
    assert Alert.objects.get(pk=alert.pk).incident == incident
    # Handled: the badge is gone from the navigation.
    expect(page.locator(".cd-alert-count")).to_have_count(0)
