"""Browser tests in headless Chromium: a statement goes from draft to the newsroom through Legal's queue,
and a holding statement reused word for word from an approved key message goes out without a new review."""

import os
import re

import pytest
from playwright.sync_api import expect

from crisisdesk.review.models import ReviewRequest, ReviewStatus
from crisisdesk.review.tests.helpers import HOLDING_TEXT, approved_key_message, second_communicator
from incidents.statements.models import Statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Set CRISISDESK_SCREENSHOTS=/some/dir to keep a screenshot of every page the tests pass through.
SCREENSHOTS = os.environ.get("CRISISDESK_SCREENSHOTS", "")


def snap(page, name: str) -> None:
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def sign_out(page) -> None:
    page.context.clear_cookies()


def test_draft_submit_approve_from_the_queue_publish_and_read_in_the_newsroom(
    page, login_as, communicator, legal, incident, password
):
    # Confirmation prompts (publish) are accepted, as a person would.
    page.on("dialog", lambda dialog: dialog.accept())

    # The communicator drafts a statement from the war room.
    login_as(page, communicator, password)
    page.goto(incident.get_absolute_url())
    snap(page, "01-war-room")
    page.get_by_role("link", name="New statement").click()
    page.get_by_label("Title").fill("We are investigating the cracked jars")
    page.get_by_label("Audience").fill("customers")
    page.get_by_label("Text").fill("We have seen the video and are testing jars from the same batch.\n\nMore soon.")
    snap(page, "02-statement-form")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Statement drafted.")).to_be_visible()
    statement = Statement.objects.get(title="We are investigating the cracked jars")
    expect(page.locator(".cd-rstatus")).to_have_text("Draft")

    # …and submits it for review.
    page.get_by_label("Note for the reviewers (optional)").fill("Urgent: the video is trending.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    expect(page.locator(".cd-rstatus")).to_have_text("In review")
    snap(page, "03-statement-in-review")

    # Legal finds it in the queue and approves it on the review page.
    sign_out(page)
    login_as(page, legal, password)
    navigation = page.get_by_role("navigation", name="Main navigation")
    expect(navigation.locator(".cd-queue-count")).to_contain_text("1")
    navigation.get_by_role("link", name=re.compile("Review queue")).click()
    row = page.locator("tbody tr", has_text="We are investigating the cracked jars")
    expect(row).to_contain_text("waiting")
    snap(page, "04-queue")
    row.get_by_role("link", name="We are investigating the cracked jars").click()
    expect(page.get_by_role("heading", name="What changed")).to_be_visible()
    expect(page.locator(".cd-diff").nth(1)).to_contain_text("We have seen the video")
    snap(page, "05-review-page")
    page.get_by_label("Comment").fill("Good to go.")
    page.get_by_role("button", name="Approve revision 1").click()
    expect(page.get_by_text("Approved.", exact=True)).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for you.")).to_be_visible()
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.APPROVED

    # The communicator publishes it.
    sign_out(page)
    login_as(page, communicator, password)
    page.goto(f"/incidents/{incident.reference}/statements/{statement.pk}/")
    expect(page.locator(".cd-rstatus").first).to_have_text("Approved")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published.", exact=True)).to_be_visible()
    snap(page, "06-statement-published")
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.PUBLISHED

    # Anyone reads it in the newsroom, without signing in.
    sign_out(page)
    page.goto("/newsroom/")
    entry = page.locator("article", has_text="We are investigating the cracked jars")
    expect(entry).to_be_visible()
    expect(entry).to_contain_text("testing jars from the same batch")
    snap(page, "07-newsroom")


def test_verbatim_key_message_is_published_without_a_new_review(
    page, login_as, communicator, legal, incident, password
):
    page.on("dialog", lambda dialog: dialog.accept())
    key_message = approved_key_message(author=second_communicator(), reviewer=legal, title="Holding: product safety")

    login_as(page, communicator, password)
    page.goto(incident.get_absolute_url())
    page.get_by_role("link", name="New statement").click()
    page.get_by_role("link", name="Start from an approved key message instead").click()
    card = page.locator("article", has_text="Holding: product safety")
    snap(page, "08-pick-key-message")
    card.get_by_role("link", name="Use this key message").click()
    expect(page.get_by_label("Text")).to_have_value(HOLDING_TEXT)
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".alert", has_text="nothing else is required, it can be published").first).to_be_visible()
    expect(page.locator(".cd-rstatus").first).to_have_text("Approved")
    snap(page, "09-pre-approved")

    statement = Statement.objects.get(from_key_message=key_message)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published.", exact=True)).to_be_visible()
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.PUBLISHED
    assert not ReviewRequest.objects.filter(object_id=statement.pk, revision__content_type__model="statement").exists()

    sign_out(page)
    page.goto("/newsroom/")
    expect(page.locator("article", has_text="Holding: product safety")).to_contain_text(HOLDING_TEXT)


def test_the_newsroom_shows_only_reviewed_words(page, login_as, communicator, legal, team_lead, incident, password):
    """Issue 12: the "About" line comes from the approved revision, a withdrawal shows no reason, a memo stays in."""
    from crisisdesk.review import services as review
    from crisisdesk.review.tests.helpers import statement_in

    # The communicator types the public context in the statement form, like the other revision fields.
    login_as(page, communicator, password)
    page.goto(incident.get_absolute_url())
    page.get_by_role("link", name="New statement").click()
    page.get_by_label("Title").fill("Jar testing update")
    page.get_by_label("Public about line").fill("Cracked blender jars, batch 42")
    page.get_by_label("Text").fill("Tests are under way.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Statement drafted.")).to_be_visible()
    statement = Statement.objects.get(title="Jar testing update")
    assert statement.current_revision.content["public_context"] == "Cracked blender jars, batch 42"
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
    review.review_publish(actor=communicator, item=statement)

    roles = {"author": communicator, "reviewer": legal, "publisher": communicator, "withdrawer": team_lead}
    recalled = statement_in(ReviewStatus.PUBLISHED, incident=incident, title="Recalled words", **roles)
    review.review_withdraw(actor=team_lead, item=recalled, reason="Supplier confessed off the record.")
    statement_in(ReviewStatus.PUBLISHED, incident=incident, title="Staff memo", channels=["internal_memo"], **roles)
    incident.title = "INTERNAL codename Blue Jar"
    incident.save(update_fields=["title"])

    sign_out(page)
    page.goto("/newsroom/")
    snap(page, "20-newsroom-reviewed-words")
    entry = page.locator(".cd-news-entry", has_text="Jar testing update")
    expect(entry.locator(".cd-news-context")).to_have_text("About: Cracked blender jars, batch 42")
    withdrawn = page.locator(".cd-news-entry", has_text="Recalled words")
    expect(withdrawn.locator(".cd-withdrawal-notice")).to_contain_text("This statement was withdrawn on")
    body = page.locator("main")
    expect(body).not_to_contain_text("Supplier confessed")
    expect(body).not_to_contain_text("Staff memo")
    expect(body).not_to_contain_text("Blue Jar")


def test_holding_statement_prefilled_saved_and_published_in_three_clicks(
    page, login_as, communicator, legal, team_lead, password
):
    """The alert's "draft holding statement" lands on ``?holding=1``: save, publish, confirm — three clicks."""
    from crisisdesk.testing.factories import IncidentFactory
    from playbooks.tests.playbook_helpers import active_playbook, second_team_lead

    key_message = approved_key_message(author=second_communicator(), reviewer=legal, title="Holding: product safety")
    active_playbook(
        author=second_team_lead(), approver=team_lead, scenario="product_defect", key_messages=[key_message]
    )
    incident = IncidentFactory(category="product_defect", severity=3, affected_channels=["x", "website"])
    clicks = 0

    def confirm(dialog):
        nonlocal clicks
        clicks += 1  # accepting the publish confirmation is a click too
        dialog.accept()

    page.on("dialog", confirm)
    login_as(page, communicator, password)
    page.goto(f"/incidents/{incident.reference}/statements/new/?holding=1")
    expect(page.get_by_label("Text")).to_have_value(HOLDING_TEXT)
    expect(page.locator(".cd-suggestion-reason")).to_contain_text(
        "Same category (product defect), same language (English), holding statement"
    )
    expect(page.get_by_role("checkbox", name="X", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="Website", exact=True)).to_be_checked()
    snap(page, "10-holding-prefilled")
    page.get_by_role("button", name="Save draft").click()
    clicks += 1
    expect(page.locator(".cd-rstatus").first).to_have_text("Approved")
    page.get_by_role("button", name="Publish").click()
    clicks += 1
    expect(page.get_by_text("Published.", exact=True)).to_be_visible()
    statement = Statement.objects.get(from_key_message=key_message)
    assert statement.status == ReviewStatus.PUBLISHED and statement.channels == ["x", "website"]
    assert clicks == 3  # save, publish, confirm (the publish button asks first)
