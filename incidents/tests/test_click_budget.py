"""The first minutes of a crisis, counted in clicks (issue 12): from the dashboard that shows a fired alert
to a published holding statement, in headless Chromium, as each persona would do it.

Every click, every submit and every accepted confirmation counts; typing does not, but putting the cursor
in a field to edit it does. The budgets are in the test names and in every failure message, so a failure
says which path grew and by how much.
"""

import re

import pytest
from playwright.sync_api import expect

from crisisdesk.review.models import ReviewStatus
from crisisdesk.review.tests.helpers import HOLDING_TEXT, approved_key_message, second_communicator
from incidents.listening.tests.alert_helpers import make_alert, make_rule
from incidents.models import Incident
from incidents.statements.models import Statement
from playbooks.tests.playbook_helpers import active_playbook, second_team_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class Clicks:
    """Counts the clicks of one person; accepting a confirmation dialog is a click too."""

    def __init__(self, page, who: str):
        self.who, self.count, self.steps = who, 0, []
        page.on("dialog", self._confirm)

    def _confirm(self, dialog):
        self.count += 1
        self.steps.append("confirm")
        dialog.accept()

    def click(self, locator, step: str):
        self.count += 1
        self.steps.append(step)
        locator.click()

    def within(self, budget: int, path: str) -> None:
        assert self.count <= budget, (
            f"{path}: {self.who} needed {self.count} clicks, the budget is {budget} ({', '.join(self.steps)})"
        )


@pytest.fixture
def holding_line(legal, team_lead):
    """An approved, unexpired holding statement of the product-defect playbook."""
    key_message = approved_key_message(author=second_communicator(), reviewer=legal, title="Holding: product safety")
    active_playbook(
        author=second_team_lead(), approver=team_lead, scenario="product_defect", key_messages=[key_message]
    )
    return key_message


def open_and_draft(page, login_as, user, password, clicks: Clicks) -> Incident:
    """Sign in (lands on the dashboard showing the alert), one click opens the incident and the pre-filled draft."""
    login_as(page, user, password)
    card = page.locator(".cd-dashboard-alerts")
    expect(card).to_contain_text("Spike of “Acme”")
    clicks.click(card.get_by_role("button", name="Open incident and draft holding statement"), "open and draft")
    page.wait_for_url(re.compile(r"/statements/new/\?holding=1$"))
    expect(page.get_by_label("Text")).to_have_value(HOLDING_TEXT)
    return Incident.objects.get()


def publish(page, clicks: Clicks) -> None:
    clicks.click(page.get_by_role("button", name="Publish"), "publish")
    expect(page.get_by_text("Published.", exact=True)).to_be_visible()


def approve_from_the_bell(page, login_as, reviewer, password, clicks: Clicks, *, incident: Incident) -> None:
    """The reviewer's bell shows the request; bell → notification → approve."""
    login_as(page, reviewer, password)
    expect(page.locator(".cd-bell-count")).to_be_visible()
    clicks.click(page.locator(".cd-bell"), "bell")
    request = page.get_by_role("link", name=re.compile(rf"^Review requested: {incident.reference} statement"))
    clicks.click(request, "notification")
    clicks.click(page.get_by_role("button", name=re.compile(r"^Approve revision")), "approve")
    expect(page.get_by_text("Approved.", exact=True)).to_be_visible()


def test_verbatim_key_message_at_severity_3_from_alert_to_public_within_6_clicks(
    page, login_as, communicator, team_lead, holding_line, password
):
    make_alert(make_rule(team_lead, default_severity=3))
    author = Clicks(page, "the communicator")

    incident = open_and_draft(page, login_as, communicator, password, author)
    author.click(page.get_by_role("button", name="Save draft"), "save")
    # Reused word for word from an approved key message at severity 3: nothing else to approve.
    expect(page.locator(".cd-rstatus").first).to_have_text("Approved")
    publish(page, author)

    statement = Statement.objects.get(incident=incident)
    assert statement.status == ReviewStatus.PUBLISHED and statement.from_key_message == holding_line
    author.within(6, "verbatim key message, severity 3, alert → published")
    # In the newsroom, anonymously.
    page.context.clear_cookies()
    page.goto("/newsroom/")
    expect(page.locator("article", has_text="Holding: product safety")).to_contain_text(HOLDING_TEXT)


def test_edited_text_author_within_8_clicks_legal_within_3_and_the_approval_arrives_without_reload(
    page, browser, live_server, login_as, communicator, legal, team_lead, holding_line, password
):
    make_alert(make_rule(team_lead, default_severity=3))
    author = Clicks(page, "the communicator")

    incident = open_and_draft(page, login_as, communicator, password, author)
    text = page.get_by_label("Text")
    author.click(text, "edit the text")
    text.fill(HOLDING_TEXT + " Customers can return affected jars to any shop.")
    author.click(page.get_by_role("button", name="Save draft"), "save")
    author.click(page.get_by_role("button", name="Submit for review"), "submit")
    expect(page.locator(".cd-rstatus").first).to_have_text("In review")
    page.evaluate("window.cdNotReloaded = true")  # a reload would lose it

    legal_context = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        legal_page = legal_context.new_page()
        reviewer = Clicks(legal_page, "Legal")
        approve_from_the_bell(legal_page, login_as, legal, password, reviewer, incident=incident)
    finally:
        legal_context.close()
    reviewer.within(3, "edited holding statement, notification → approved")

    # The author's open page shows the approval within 5 s, without a reload.
    expect(page.locator(".cd-rstatus").first).to_have_text("Approved", timeout=5_000)
    assert page.evaluate("window.cdNotReloaded") is True
    publish(page, author)

    statement = Statement.objects.get(incident=incident)
    assert statement.status == ReviewStatus.PUBLISHED
    assert statement.body.endswith("Customers can return affected jars to any shop.")
    author.within(8, "edited holding statement, alert → published")


def test_verbatim_key_message_at_severity_1_adds_only_the_leads_approval_within_3_clicks(
    page, browser, live_server, login_as, communicator, team_lead, holding_line, password
):
    make_alert(make_rule(team_lead, default_severity=1))
    author = Clicks(page, "the communicator")

    incident = open_and_draft(page, login_as, communicator, password, author)
    author.click(page.get_by_role("button", name="Save draft"), "save")
    # Legal's approval comes from the key message; the lead's is still needed, and the page says so.
    expect(page.get_by_text("the incident lead's approval is still required").first).to_be_visible()
    page.evaluate("window.cdNotReloaded = true")

    lead_context = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        lead_page = lead_context.new_page()
        lead = Clicks(lead_page, "the team lead")
        approve_from_the_bell(lead_page, login_as, team_lead, password, lead, incident=incident)
    finally:
        lead_context.close()
    lead.within(3, "severity 1, lead's notification → approved")

    expect(page.locator(".cd-rstatus").first).to_have_text("Approved", timeout=5_000)
    assert page.evaluate("window.cdNotReloaded") is True
    publish(page, author)
    assert Statement.objects.get(incident=incident).status == ReviewStatus.PUBLISHED
    author.within(6, "verbatim key message, severity 1, alert → published (author)")
