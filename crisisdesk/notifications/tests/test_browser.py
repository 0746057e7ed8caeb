"""Live pages in headless Chromium, two people at once: Legal approves, the author's open page shows it without a reload."""

import pytest
from playwright.sync_api import expect

from crisisdesk.review import services as review
from crisisdesk.review.tests.helpers import make_statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_authors_open_page_shows_the_approval_and_the_bell_rises(
    page, browser, live_server, login_as, communicator, legal, incident, password
):
    statement = make_statement(author=communicator, incident=incident, title="We are testing the jars")
    review.review_submit(actor=communicator, item=statement)

    # The author keeps the statement page open.
    login_as(page, communicator, password)
    page.goto(f"/incidents/{incident.reference}/statements/{statement.pk}/")
    expect(page.locator(".cd-rstatus")).to_have_text("In review")
    bell = page.locator(".cd-bell")
    expect(bell.locator(".cd-bell-count")).to_have_count(0)
    # A marker that a reload would lose: the page must be updated in place.
    page.evaluate("window.cdNotReloaded = true")

    # Legal, in a browser of their own, approves the revision on the review page.
    legal_context = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        legal_page = legal_context.new_page()
        login_as(legal_page, legal, password)
        expect(legal_page.locator(".cd-bell-count")).to_contain_text("1")  # the review request
        legal_page.goto(f"/reviews/statement/{statement.pk}/")
        legal_page.get_by_role("button", name="Approve revision 1").click()
        expect(legal_page.get_by_text("Approved.", exact=True)).to_be_visible()
    finally:
        legal_context.close()

    # Within 5 s, without a reload: the status, the workflow buttons and the bell.
    expect(page.locator(".cd-rstatus")).to_have_text("Approved", timeout=5_000)
    expect(bell.locator(".cd-bell-count")).to_contain_text("1", timeout=5_000)
    assert page.evaluate("window.cdNotReloaded") is True

    # The bell leads to the notification, which leads to the statement (and is then read).
    page.locator(".cd-bell").click()
    link = page.get_by_role("link", name=f"Approved: {incident.reference} statement “We are testing the jars”")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(f"**/statements/{statement.pk}/")
    expect(page.locator(".cd-bell-count")).to_have_count(0)
