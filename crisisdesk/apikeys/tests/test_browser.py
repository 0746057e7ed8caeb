"""Browser test in headless Chromium: a team lead creates a key, an integration uses it, the lead revokes it."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from crisisdesk.apikeys.models import APIKey
from incidents.listening.models import Mention

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def push_mention(base_url: str, raw_key: str, external_id: str) -> int:
    """POST one mention to the bulk endpoint over real HTTP, as a monitoring tool would; returns the status."""
    item = {
        "platform": "x",
        "external_id": external_id,
        "text": "Acme jar cracked",
        "posted_at": "2026-11-20T10:00:00Z",
    }
    request = urllib.request.Request(
        f"{base_url}/api/v1/mentions/bulk/",
        data=json.dumps({"mentions": [item]}).encode(),
        headers={"Authorization": f"Api-Key {raw_key}", "Content-Type": "application/json"},
        method="POST",
    )
    # No proxy: an http_proxy in the environment must not intercept requests to the live server.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_team_lead_creates_uses_and_revokes_a_key(page, login_as, live_server, team_lead, password):
    login_as(page, team_lead, password)
    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_role("heading", name="Integration API keys")).to_be_visible()
    page.get_by_role("link", name="New API key").click()
    page.get_by_label("Name").fill("Social monitoring")
    page.get_by_label("Ingest mentions").check()
    page.get_by_role("button", name="Create key").click()

    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    raw_key = page.get_by_label("Your new API key").input_value()
    key = APIKey.objects.get(name="Social monitoring")
    assert raw_key.startswith(f"{key.prefix}.")

    assert push_mention(live_server.url, raw_key, "browser-1") == 200
    assert Mention.objects.filter(external_id="browser-1").exists()

    page.get_by_role("link", name="I have copied the key").click()
    row = page.get_by_role("row").filter(has_text="Social monitoring")
    expect(row).not_to_contain_text("never")  # last use recorded
    row.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke key").click()
    expect(page.get_by_text("Key “Social monitoring” revoked")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Social monitoring")).to_contain_text("Revoked")

    assert push_mention(live_server.url, raw_key, "browser-2") == 401
    assert not Mention.objects.filter(external_id="browser-2").exists()
