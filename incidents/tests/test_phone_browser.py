"""Browser tests at phone size (issue 17): 390×844 CSS pixels, touch, mobile viewport.

The navigation collapses, the war room shows status, clocks, the next action and the statements on the
first screen, the review page never scrolls sideways, a statement goes through review and publication on
the phone, and the copy buttons put each channel's text on the clipboard.
"""

import os
import re
from collections.abc import Iterator

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crisisdesk.review.models import ReviewStatus
from crisisdesk.review.tests.helpers import statement_in
from incidents.statements.models import Statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTH, HEIGHT = 390, 844
SCREENSHOTS = os.environ.get("CRISISDESK_SCREENSHOTS", "")
# Long enough to push a page sideways unless it wraps.
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis-batch-2026-0042-lot-A7"


@pytest.fixture
def phone(browser, live_server, django_db_serialized_rollback) -> Iterator:
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport={"width": WIDTH, "height": HEIGHT},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def snap(page, name: str) -> None:
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, f"phone-{name}.png"), full_page=True)


def top(locator) -> float:
    """Distance in CSS pixels from the top of the document to the top of the element."""
    return locator.evaluate("element => element.getBoundingClientRect().top + window.scrollY")


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def sign_out(page) -> None:
    page.context.clear_cookies()


def test_the_navigation_collapses_and_keeps_the_bell_and_alerts_in_view(phone, login_as, team_lead, password):
    login_as(phone, team_lead, password)
    navigation = phone.get_by_role("navigation", name="Main navigation")
    height = navigation.evaluate("element => element.getBoundingClientRect().height")
    assert height <= 0.2 * HEIGHT, height
    snap(phone, "01-nav-collapsed")

    # The links are folded away; the bell, the alerts and the toggler stay on the bar.
    expect(navigation.get_by_role("link", name="Incidents", exact=True)).to_be_hidden()
    expect(phone.locator(".cd-bell")).to_be_visible()
    expect(navigation.get_by_role("link", name=re.compile("^Alerts"))).to_be_visible()
    toggler = navigation.get_by_role("button", name="Menu")
    expect(toggler).to_have_attribute("aria-expanded", "false")

    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(navigation.locator("#cd-nav.show")).to_be_visible()
    expect(navigation.locator(".collapsing")).to_have_count(0)  # the opening animation is over
    expect(navigation.get_by_role("link", name="Incidents", exact=True)).to_be_visible()
    expect(navigation.get_by_role("button", name="FR")).to_be_visible()
    snap(phone, "02-nav-open")
    # With JavaScript, Bootstrap's collapse toggles it: the #cd-nav fragment (the no-JS path) is never followed.
    assert "#cd-nav" not in phone.url
    toggler.click()
    expect(navigation.get_by_role("link", name="Incidents", exact=True)).to_be_hidden()
    toggler.click()
    navigation.get_by_role("link", name="Incidents", exact=True).click()
    expect(phone.get_by_role("heading", name="Incidents")).to_be_visible()
    assert page_width(phone) <= WIDTH


def test_the_menu_opens_without_javascript(browser, live_server, django_db_serialized_rollback, communicator, password):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": WIDTH, "height": HEIGHT}, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(communicator.get_username())
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        navigation = page.get_by_role("navigation", name="Main navigation")
        expect(navigation.get_by_role("link", name="Incidents", exact=True)).to_be_hidden()
        navigation.get_by_role("button", name="Menu").click()
        expect(navigation.get_by_role("link", name="Incidents", exact=True)).to_be_visible()
        navigation.get_by_role("link", name="Incidents", exact=True).click()
        expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
    finally:
        context.close()


def test_the_war_room_shows_status_clocks_next_action_and_statements_on_the_first_screen(
    phone, login_as, communicator, legal, team_lead, incident, password
):
    for title in ("Holding statement for customers", "Answer to the journalist"):
        statement_in(
            ReviewStatus.IN_REVIEW,
            author=communicator,
            reviewer=legal,
            publisher=team_lead,
            withdrawer=team_lead,
            incident=incident,
            title=title,
        )
    login_as(phone, communicator, password)
    phone.goto(incident.get_absolute_url())
    snap(phone, "03-war-room")

    status = phone.locator('[data-live-region="warroom-badges"]')
    clocks = phone.locator(".cd-clocks")
    next_action = phone.locator(".cd-actions .btn-primary").first  # the recommended move (here: Acknowledge)
    new_statement = phone.get_by_role("link", name="New statement")
    statements = phone.locator(".cd-statements")
    for name, locator in (
        ("status", status),
        ("clocks", clocks),
        ("next action", next_action),
        ("new statement", new_statement),
        ("statements", statements),
    ):
        expect(locator).to_be_visible()
        assert top(locator) < HEIGHT, f"{name} starts at {top(locator)}px, below the first screen"
    expect(statements).to_contain_text("Holding statement for customers")
    # The order on the phone: the next action, then the statements, then the checklist and the timeline.
    assert top(next_action) < top(statements) < top(phone.get_by_role("heading", name="Timeline"))
    # The live regions are still there for static/js/live.js to swap.
    for region in ("warroom-badges", "warroom-statements", "warroom-tasks", "timeline"):
        expect(phone.locator(f'[data-live-region="{region}"]')).to_have_count(1)
    assert page_width(phone) <= WIDTH


def test_the_review_page_fits_the_phone_and_legal_approves_it(
    phone, login_as, communicator, legal, team_lead, incident, password
):
    statement = statement_in(
        ReviewStatus.IN_REVIEW,
        author=communicator,
        reviewer=legal,
        publisher=team_lead,
        withdrawer=team_lead,
        incident=incident,
        title=f"Recall notice {LONG_WORD}",
        body=f"We are recalling jars from {LONG_WORD}{LONG_WORD} as a precaution.\n\nMore soon.",
    )
    login_as(phone, legal, password)
    phone.goto(reverse("review:queue"))
    link = phone.get_by_role("link", name=re.compile("Recall notice"))
    expect(link).to_be_visible()
    assert page_width(phone) <= WIDTH
    # The queue is stacked on the phone: the whole title is on the screen, not cut by a scrolling table.
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    labels = (
        phone.locator(".cd-queue tbody tr")
        .first.locator("td")
        .evaluate_all("cells => cells.map(cell => getComputedStyle(cell, '::before').content)")
    )
    assert any("Submitted by" in label for label in labels), labels
    # Still a table for screen readers: rows and cells keep their roles.
    expect(phone.get_by_role("cell", name=re.compile("Recall notice"))).to_have_count(1)
    snap(phone, "04-queue")

    phone.get_by_role("link", name=re.compile("Recall notice")).click()
    expect(phone.get_by_role("heading", name="What changed")).to_be_visible()
    snap(phone, "05-review")
    assert page_width(phone) <= WIDTH

    approve = phone.get_by_role("button", name="Approve revision 1")
    request_changes = phone.get_by_role("button", name="Request changes")
    for button in (approve, request_changes):
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    # Scrolling down (never sideways) brings the decision into view.
    approve.scroll_into_view_if_needed()
    assert phone.evaluate("window.scrollX") == 0
    expect(approve).to_be_in_viewport()
    phone.get_by_label("Comment").fill("Fine on the phone.")
    approve.click()
    expect(phone.get_by_text("Approved.", exact=True)).to_be_visible()
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.APPROVED


def test_publish_at_phone_size_and_copy_each_channel_text(
    phone, login_as, communicator, legal, team_lead, incident, password
):
    phone.on("dialog", lambda dialog: dialog.accept())
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login_as(phone, communicator, password)
    phone.goto(incident.get_absolute_url())
    phone.get_by_role("link", name="New statement").click()
    phone.get_by_label("Title").fill("Cracked jars: what we know")
    phone.get_by_label("Audience").fill("customers")
    phone.get_by_label("Text").fill("We are testing jars from the same batch.\n\nMore soon.")
    phone.get_by_role("button", name="Save draft").click()
    expect(phone.get_by_text("Statement drafted.")).to_be_visible()
    phone.get_by_role("button", name="Submit for review").click()
    expect(phone.get_by_text("Submitted for review.")).to_be_visible()
    statement = Statement.objects.get(title="Cracked jars: what we know")

    sign_out(phone)
    login_as(phone, legal, password)
    phone.goto(reverse("review:review", kwargs={"kind": "statement", "pk": statement.pk}))
    phone.get_by_role("button", name="Approve revision 1").click()
    expect(phone.get_by_text("Approved.", exact=True)).to_be_visible()

    sign_out(phone)
    login_as(phone, communicator, password)
    phone.goto(f"/incidents/{incident.reference}/statements/{statement.pk}/")
    assert page_width(phone) <= WIDTH
    phone.get_by_role("button", name="Publish").click()
    expect(phone.get_by_text("Published.", exact=True)).to_be_visible()
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.PUBLISHED
    snap(phone, "06-published")

    # One copy button per channel text; each puts exactly that text on the clipboard and says so.
    texts = phone.locator("textarea.cd-copy")
    buttons = phone.locator(".cd-copy-button")
    assert texts.count() >= 1
    expect(buttons).to_have_count(texts.count())
    for index in range(texts.count()):
        buttons.nth(index).click()
        status = phone.locator(".cd-copy-status").nth(index)
        expect(status).to_have_text("Copied")
        expect(status).to_have_attribute("aria-live", "polite")
        assert phone.evaluate("navigator.clipboard.readText()") == texts.nth(index).input_value()
