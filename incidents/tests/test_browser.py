"""Browser test in headless Chromium: a communicator runs the first minutes of a crisis."""

import re

import pytest
from playwright.sync_api import expect

from incidents.models import Incident, TimelineKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_communicator_opens_an_incident_adds_a_note_and_finds_it_in_the_list(page, communicator, password):
    # Sign in through the login page.
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("comms")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Active incidents")).to_be_visible()

    # Open a new incident through the form.
    page.get_by_role("link", name="New incident").first.click()
    page.get_by_label("Title").fill("Influencer video: blender jar shatters")
    page.get_by_label("Summary").fill("A video with 1.2M views shows a jar cracking with hot soup.")
    page.get_by_label("Category").select_option("product_defect")
    page.get_by_label("Severity").select_option("2")
    page.get_by_label("X", exact=True).check()
    page.get_by_label("TikTok").check()
    page.get_by_role("button", name="Open incident").click()

    # The war room of the new incident.
    incident = Incident.objects.get(title="Influencer video: blender jar shatters")
    expect(page).to_have_url(re.compile(re.escape(incident.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(incident.reference)
    expect(page.get_by_text(f"Incident {incident.reference} opened.")).to_be_visible()

    # Add a timeline note.
    timeline = page.locator("section", has=page.get_by_role("heading", name="Timeline"))
    timeline.get_by_label("Kind").select_option("decision")
    timeline.get_by_label("Text").fill("Pull the video ad campaign until QA reports.")
    timeline.get_by_role("button", name="Add to timeline").click()
    expect(page.get_by_text("Added to the timeline.")).to_be_visible()
    expect(page.locator(".cd-timeline-entry").first).to_contain_text("Pull the video ad campaign until QA reports.")
    assert incident.timeline.filter(kind=TimelineKind.DECISION, author=communicator).exists()

    # The incident list shows it.
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Incidents", exact=True).click()
    row = page.locator("tbody tr", has_text=incident.reference)
    expect(row).to_be_visible()
    expect(row).to_contain_text("Influencer video: blender jar shatters")
    expect(row).to_contain_text("2 — High")
