"""The mention inbox's keyboard shortcuts (static/js/inbox.js): the served HTML, then headless Chromium."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from incidents.listening import services as mention_services
from incidents.listening.models import Mention, MentionStatus

POSTED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
BROWSER = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def make_inbox(n=4):
    """``n`` mentions, listed newest first: row 0 is ``row-0``, row 1 is ``row-1``…"""
    mentions = [
        Mention(
            platform="x",
            external_id=f"row-{i}",
            text=f"Acme jar complaint number {i}",
            posted_at=POSTED - timedelta(minutes=i),
        )
        for i in range(n)
    ]
    mention_services.mentions_ingest(mentions=mentions, source="api")
    return {m.external_id: m for m in Mention.objects.all()}


def statuses():
    return dict(Mention.objects.values_list("external_id", "status"))


# --- The HTML the server sends -------------------------------------------------------------------------


def test_inbox_html_carries_the_shortcut_hooks(communicator, client_for):
    mentions = make_inbox(2)
    body = client_for(communicator).get(reverse("mentions:inbox")).content.decode()

    assert re.search(r'<script src="[^"]*/js/inbox\.js" defer></script>', body)
    assert '<dialog id="inbox-shortcuts"' in body and "Keyboard shortcuts" in body
    assert 'class="small text-body-secondary mb-0 cd-shortcut-hint" hidden' in body  # revealed by inbox.js
    for mention in mentions.values():
        url = reverse("mentions:detail", args=[mention.pk])
        assert f'data-mention-url="{url}" data-mention-id="{mention.pk}"' in body
        assert f'id="m-{mention.pk}"' in body
    # The strict CSP allows neither inline scripts nor inline handlers nor style attributes.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert not re.search(r"\son[a-z]+=", body)
    assert " style=" not in body


def test_observer_help_lists_no_triage_keys(observer, client_for):
    make_inbox(1)
    body = client_for(observer).get(reverse("mentions:inbox")).content.decode()
    assert "Next / previous mention" in body
    assert "Mark as ignored" not in body  # observers cannot triage, so the help does not offer it
    assert 'name="ids"' not in body


def test_other_pages_do_not_load_the_inbox_script(communicator, client_for):
    body = client_for(communicator).get(reverse("incidents:list")).content.decode()
    assert "js/crisisdesk.js" in body and "js/inbox.js" not in body


# --- In the browser ------------------------------------------------------------------------------------


def watch_console(page):
    """Collect console errors (Chromium reports CSP violations there) and uncaught exceptions."""
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def rows(page):
    return page.locator("tr[data-mention-url]")


def expect_current(page, index):
    row = rows(page).nth(index)
    expect(row).to_have_attribute("aria-current", "true")
    expect(row).to_have_class(re.compile(r"\bcd-row-current\b"))
    expect(page.locator("tr[aria-current]")).to_have_count(1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_communicator_triages_with_the_keyboard(page, login_as, communicator, password):
    mentions = make_inbox(4)
    problems = watch_console(page)
    login_as(page, communicator, password)
    response = page.goto("/mentions/")
    assert "script-src 'self'" in response.headers["content-security-policy"]  # the strict policy is on
    expect(page.get_by_text("Press ? for keyboard shortcuts")).to_be_visible()
    expect(page.locator("tr[aria-current]")).to_have_count(0)

    page.keyboard.press("j")
    page.keyboard.press("j")
    expect_current(page, 1)

    # Tick rows 1 and 2, then ignore them through the bulk form.
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator(f"#m-{mentions['row-1'].pk}")).to_be_checked()
    expect(page.locator(f"#m-{mentions['row-2'].pk}")).to_be_checked()
    page.keyboard.press("i")
    expect(page.get_by_text("2 mention(s) updated.")).to_be_visible()
    assert statuses() == {
        "row-0": MentionStatus.NEW,
        "row-1": MentionStatus.IGNORED,
        "row-2": MentionStatus.IGNORED,
        "row-3": MentionStatus.NEW,
    }
    # Back on the inbox after the redirect, the cursor is where it was.
    expect_current(page, 2)
    expect(page.locator("input[name=ids]:checked")).to_have_count(0)

    page.keyboard.press("k")
    expect_current(page, 1)
    page.keyboard.press("o")
    page.wait_for_url(f"**/mentions/{mentions['row-1'].pk}/")

    page.goto("/mentions/")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_hidden()
    page.keyboard.press("?")
    expect(help_dialog).to_be_visible()
    expect(help_dialog.get_by_text("Mark as ignored")).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    # "/" focuses the search field without typing into it; a "j" typed there is text, not a move.
    page.keyboard.press("j")
    expect_current(page, 0)
    page.keyboard.press("/")
    search = page.get_by_label("Text")
    expect(search).to_be_focused()
    page.keyboard.type("jk")
    expect(search).to_have_value("jk")
    expect_current(page, 0)

    assert problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_status_key_acts_on_the_current_row_when_none_is_ticked(page, login_as, communicator, password):
    mentions = make_inbox(3)
    problems = watch_console(page)
    login_as(page, communicator, password)
    page.goto("/mentions/")

    # "a" ticks the whole page, "a" again unticks it.
    page.keyboard.press("a")
    expect(page.locator("input[name=ids]:checked")).to_have_count(3)
    page.keyboard.press("a")
    expect(page.locator("input[name=ids]:checked")).to_have_count(0)

    # "l" focuses the bulk form's incident control; a click in a row makes it current again.
    page.keyboard.press("l")
    expect(page.locator("#triage-form select[name=incident]")).to_be_focused()
    rows(page).nth(2).locator("td").nth(1).click()
    expect_current(page, 2)

    page.keyboard.press("e")
    expect(page.get_by_text("1 mention(s) updated.")).to_be_visible()
    assert statuses() == {"row-0": MentionStatus.NEW, "row-1": MentionStatus.NEW, "row-2": MentionStatus.ESCALATED}
    expect_current(page, 2)

    # Modifier chords belong to the browser: Ctrl+j and Alt+t do nothing here.
    page.keyboard.press("Control+j")
    page.keyboard.press("Alt+t")
    expect_current(page, 2)
    assert Mention.objects.get(pk=mentions["row-2"].pk).status == MentionStatus.ESCALATED

    page.keyboard.press("Enter")  # the restored row has the focus: Enter opens it, like "o"
    page.wait_for_url(f"**/mentions/{mentions['row-2'].pk}/")
    assert problems == []
