"""Browser test in headless Chromium: a communicator triages negative mentions into an incident."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from incidents.listening import parsing
from incidents.listening import services as mention_services
from incidents.listening.models import Mention, MentionStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_communicator_triages_mentions_into_an_incident(page, login_as, communicator, incident, password):
    posted = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    items = [
        {
            "platform": "x",
            "external_id": "1",
            "text": "Acme jar cracked with hot soup, dangerous!",
            "posted_at": posted.isoformat(),
        },
        {
            "platform": "x",
            "external_id": "2",
            "text": "Acme jar exploded, disgusting brand",
            "posted_at": posted.isoformat(),
        },
        {"platform": "x", "external_id": "3", "text": "Lovely new Acme toaster", "posted_at": posted.isoformat()},
    ]
    mentions, errors = parsing.parse_batch(items)
    assert errors == []
    mention_services.mentions_ingest(mentions=mentions, source="api")

    login_as(page, communicator, password)
    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_role("heading", name="Mention inbox")).to_be_visible()

    # Only the negative ones.
    page.locator("select[name=sentiment]").select_option("negative")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Lovely new Acme toaster")).to_have_count(0)
    page.get_by_label("Select x 1").check()
    page.get_by_label("Select x 2").check()
    page.locator("select[name=incident]").select_option(label=str(incident))
    page.get_by_role("button", name="Apply to ticked mentions").click()
    expect(page.get_by_text("2 mention(s) updated.")).to_be_visible()

    linked = Mention.objects.filter(incident=incident)
    assert set(linked.values_list("external_id", flat=True)) == {"1", "2"}
    assert set(linked.values_list("status", flat=True)) == {MentionStatus.TRIAGED}
    assert Mention.objects.get(external_id="3").incident is None
