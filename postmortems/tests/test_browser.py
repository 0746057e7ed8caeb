"""Browser test in headless Chromium: a team lead writes a review, another lead approves it, it is in the library."""

import pytest
from playwright.sync_api import expect

from crisisdesk.review.models import ReviewStatus
from incidents import services as incident_services
from postmortems.models import PostmortemReview
from postmortems.tests.helpers import second_team_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_team_lead_writes_another_approves_it_reaches_the_library(page, login_as, team_lead, incident, password):
    other = second_team_lead()
    page.on("dialog", lambda dialog: dialog.accept())
    incident_services.incident_change_status(actor=team_lead, incident=incident, to_status="investigating")
    incident.refresh_from_db()
    incident_services.incident_change_status(actor=team_lead, incident=incident, to_status="resolved")
    item = PostmortemReview.objects.get(incident=incident)

    # The author writes the review from the Reviews list.
    login_as(page, team_lead, password)
    page.get_by_role("link", name="Reviews", exact=True).click()
    page.get_by_role("link", name=item.title).click()
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Summary").fill("A customer's video of a cracked blender jar went viral overnight.")
    page.get_by_label("What went badly").fill("The holding line waited two hours for sign-off.")
    page.get_by_label("Root causes").fill("No pre-approved holding statement for product safety.")
    page.get_by_label("Lessons").fill("Keep a pre-approved holding statement for product safety.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved as revision 2.")).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    # The author is offered no approval.
    expect(page.get_by_role("button", name="Approve revision 2")).to_have_count(0)

    # Another team lead approves it from their review queue, then publishes it.
    page.context.clear_cookies()
    login_as(page, other, password)
    page.get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name=item.title).click()
    page.get_by_role("button", name="Approve revision 2").click()
    expect(page.get_by_text("Approved.", exact=True)).to_be_visible()
    page.goto(f"/post-crisis/{item.pk}/")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published.", exact=True)).to_be_visible()

    # It is in the lessons library, found by a word of its lessons.
    page.get_by_role("link", name="Lessons", exact=True).click()
    page.get_by_label("Search").fill("holding statement")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=item.title)).to_be_visible()
    assert PostmortemReview.objects.get(pk=item.pk).status == ReviewStatus.PUBLISHED
