"""Without JavaScript, publishing goes through a confirmation page (issue 17); closing an incident too."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crisisdesk.review.models import ReviewStatus
from crisisdesk.review.tests.helpers import second_communicator, statement_in
from incidents import services as incident_services
from incidents.models import Status
from incidents.statements.models import Statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def nojs_page(browser, live_server, django_db_serialized_rollback):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1400, "height": 1000}, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def test_publishing_without_javascript_goes_through_the_confirmation_page(
    nojs_page, login_as, communicator, legal, team_lead, incident, password
):
    page = nojs_page
    statement = statement_in(
        ReviewStatus.APPROVED,
        author=second_communicator(),
        reviewer=legal,
        publisher=communicator,
        withdrawer=team_lead,
        incident=incident,
    )
    login_as(page, communicator, password)
    page.goto(reverse("incidents:statement_detail", kwargs={"reference": incident.reference, "pk": statement.pk}))
    page.get_by_role("button", name="Publish").click()
    question = "Publish “About the cracked blender jars” to X, Website and the newsroom?"
    expect(page.get_by_role("heading", name=question)).to_be_visible()
    assert Statement.objects.get(pk=statement.pk).status == ReviewStatus.APPROVED

    # Cancel goes back and nothing happened…
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator(".cd-rstatus").first).to_have_text("Approved")
    assert Statement.objects.get(pk=statement.pk).status == ReviewStatus.APPROVED

    # …publish again and confirm: it is out.
    page.get_by_role("button", name="Publish").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published.")).to_be_visible()
    assert Statement.objects.get(pk=statement.pk).status == ReviewStatus.PUBLISHED


def test_closing_without_javascript_goes_through_the_confirmation_page(
    nojs_page, login_as, team_lead, incident, password
):
    page = nojs_page
    for to_status in (Status.INVESTIGATING, Status.RESOLVED):
        incident_services.incident_change_status(actor=team_lead, incident=incident, to_status=to_status)
    login_as(page, team_lead, password)
    page.goto(incident.get_absolute_url())
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    page.get_by_role("button", name="Close incident").click()
    expect(page.get_by_role("heading", name=f"Close incident {incident.reference} “{incident.title}”?")).to_be_visible()
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    page.get_by_role("button", name="Close incident").click()
    expect(page.get_by_text("Status is now Closed.")).to_be_visible()
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
