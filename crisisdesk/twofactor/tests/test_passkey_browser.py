"""Headless Chromium with a virtual authenticator (Chrome DevTools Protocol): Legal adds a passkey, signs
in again, presses Approve, confirms with the passkey, and approves; the audit event names ``passkey``."""

import pytest
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from crisisdesk.review.models import AuditEvent, ReviewStatus

from .helpers import statement_awaiting_legal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def authenticator(page, live_server, settings):
    """A platform passkey authenticator inside Chromium (user verification always succeeds)."""
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    answer = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, answer["authenticatorId"]


def test_a_passkey_is_added_then_confirms_an_approval(
    page, live_server, authenticator, login_as, communicator, legal, team_lead, incident, password
):
    assert live_server.url.startswith("http://localhost:")  # a secure context for WebAuthn, and the RP id
    cdp, authenticator_id = authenticator
    statement = statement_awaiting_legal(communicator=communicator, legal=legal, team_lead=team_lead, incident=incident)
    login_as(page, legal, password)
    page.goto(reverse("twofactor:overview"))
    page.get_by_label("Passkey name").fill("Chromium")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey “Chromium” added.")).to_be_visible()
    expect(page.locator(".cd-passkeys")).to_contain_text("Chromium")
    passkey = WebAuthnCredential.objects.get(user=legal)
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert len(stored) == 1 and stored[0]["isResidentCredential"]

    # A new session: nothing confirmed in it yet.
    page.context.clear_cookies()
    login_as(page, legal, password)
    review_page = reverse("review:review", kwargs={"kind": "statement", "pk": statement.pk})
    page.goto(review_page)
    page.get_by_role("button", name="Approve revision 1").click()
    expect(page.get_by_role("heading", name="Confirm your second factor")).to_be_visible()
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.IN_REVIEW

    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_text("Second factor confirmed.")).to_be_visible()
    page.wait_for_url(f"**{review_page}")
    page.get_by_role("button", name="Approve revision 1").click()
    expect(page.get_by_text("Approved.", exact=True)).to_be_visible()
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.APPROVED
    assert AuditEvent.objects.get(object_id=statement.pk, action="approve").data["factor"] == "passkey"
    passkey.refresh_from_db()
    assert passkey.sign_count >= 1 and passkey.last_used_at is not None


def test_the_passkey_pages_have_no_serious_accessibility_violation(
    browser, live_server, settings, login_as, legal, password
):
    from crisisdesk.tests.test_accessibility import BLOCKING, axe_violations, describe

    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    # bypass_csp: only so that axe can be injected (the policy itself is tested above and in test_passkeys).
    context = browser.new_context(base_url=live_server.url, locale="en-GB", bypass_csp=True)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        options = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True}
        options |= {"hasUserVerification": True, "isUserVerified": True}
        cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
        login_as(page, legal, password)
        page.goto(reverse("twofactor:overview"))
        page.get_by_label("Passkey name").fill("Chromium")
        page.get_by_role("button", name="Add a passkey").click()
        expect(page.locator(".cd-passkeys")).to_contain_text("Chromium")
        for url in (reverse("twofactor:overview"), reverse("twofactor:confirm")):
            page.goto(url)
            blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
            assert not blocking, describe(url, blocking)
    finally:
        context.close()
