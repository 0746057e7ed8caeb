"""Headless Chromium: Legal presses Approve, is asked for the second factor, confirms it, and approves."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from crisisdesk.review.models import AuditEvent, ReviewStatus
from crisisdesk.review.tests.helpers import statement_in

from .helpers import code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_approving_asks_for_the_second_factor_first(page, login_as, communicator, legal, team_lead, incident, password):
    statement = statement_in(
        ReviewStatus.IN_REVIEW,
        author=communicator,
        reviewer=legal,
        publisher=communicator,
        withdrawer=team_lead,
        incident=incident,
    )
    # Enrolled earlier (no code used yet in this time step, so the one typed below is fresh).
    device = TOTPDevice.objects.create(user=legal, name="Authenticator app", confirmed=True)
    login_as(page, legal, password)
    review_page = reverse("review:review", kwargs={"kind": "statement", "pk": statement.pk})
    page.goto(review_page)
    page.get_by_role("button", name="Approve revision 1").click()

    expect(page.get_by_role("heading", name="Confirm your second factor")).to_be_visible()
    expect(page.get_by_text("Confirm your second factor, then press the button again.")).to_be_visible()
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.IN_REVIEW  # nothing happened yet

    page.get_by_label("Code").fill("000000" if code_for(device) != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("This code is not valid.")).to_be_visible()
    page.wait_for_timeout(1500)  # django-otp throttles for a second after a wrong code

    page.get_by_label("Code").fill(code_for(device))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Second factor confirmed.")).to_be_visible()
    page.wait_for_url(f"**{review_page}")  # back on the page the button was on
    page.get_by_role("button", name="Approve revision 1").click()
    expect(page.get_by_text("Approved.", exact=True)).to_be_visible()
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.APPROVED
    assert AuditEvent.objects.get(object_id=statement.pk, action="approve").data["factor"] == "totp"
