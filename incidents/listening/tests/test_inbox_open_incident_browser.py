"""Browser test in headless Chromium: tick two mentions, open an incident from them, see them in its war room."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from incidents.listening import services as mention_services
from incidents.listening.models import Mention, MentionStatus
from incidents.models import Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_tick_two_mentions_and_open_an_incident_in_three_clicks(page, login_as, communicator, team_lead, password):
    mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")
    mention_services.watch_term_add(actor=team_lead, term="#AcmeFail", kind="hashtag")
    posted = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    mention_services.mentions_ingest(
        mentions=[
            Mention(platform="x", external_id="1", text="Acme jar cracked #AcmeFail", posted_at=posted),
            Mention(platform="facebook", external_id="2", text="Acme jar exploded", posted_at=posted),
            Mention(platform="x", external_id="3", text="Lovely new Acme toaster", posted_at=posted),
        ],
        source="api",
    )
    clicks = 0

    def click(locator):
        nonlocal clicks
        clicks += 1
        locator.click()

    login_as(page, communicator, password)
    page.goto("/mentions/")
    click(page.get_by_label("Select x 1"))
    click(page.get_by_label("Select facebook 2"))
    click(page.get_by_role("button", name="Open incident from selected"))

    page.wait_for_url(re.compile(r"/incidents/[^/]+/$"))
    incident = Incident.objects.get()
    assert clicks == 3
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mentions of Acme, #AcmeFail")
    expect(page.get_by_text(f"Incident {incident.reference} opened from 2 mention(s).")).to_be_visible()
    # The war room's summary quotes the two mentions; the third stays out.
    summary = page.locator("section[aria-labelledby=summary-title]")
    expect(summary).to_contain_text("Acme jar cracked #AcmeFail")
    expect(summary).to_contain_text("Acme jar exploded")
    expect(summary).not_to_contain_text("toaster")
    linked = Mention.objects.filter(incident=incident)
    assert set(linked.values_list("external_id", flat=True)) == {"1", "2"}
    assert set(linked.values_list("status", flat=True)) == {MentionStatus.TRIAGED}
    assert incident.affected_channels == ["x", "facebook"]
