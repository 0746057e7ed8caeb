"""WCAG 2.2 AA in headless Chromium: axe-core finds no critical or serious violation on the main pages.

axe-core is the copy shipped inside the pinned ``axe-playwright-python`` package (no network): its
``axe.min.js`` is injected into each page, then ``axe.run`` checks the WCAG 2.0/2.1/2.2 A and AA
rules. The data is the demo's (``seed_demo``: incidents in every status, statements in every state,
a fired alert, mentions, playbooks, the roster, post-crisis reviews, key messages) plus an API key
and a webhook subscription, so every page shows its badges, tables and forms as in real use.

Each page is one test (the failure names it) and lists page, rule, impact, targets and a snippet.
Transactional browser tests reset the database after each test, so each seeds its own data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import axe_playwright_python
import pytest
from django.core.management import call_command
from django.urls import reverse

from crisisdesk.apikeys import services as apikey_services
from crisisdesk.review.models import ReviewStatus
from crisisdesk.review.registry import kind_of
from crisisdesk.review.tests.helpers import statement_in
from crisisdesk.webhooks import services as webhook_services
from incidents.listening.models import Alert
from incidents.models import Incident
from incidents.statements.models import Statement
from playbooks.keymessages.models import KeyMessage
from playbooks.models import Playbook
from postmortems.models import PostmortemReview

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING = {"critical", "serious"}


@pytest.fixture
def fast_passwords(settings):
    # The default PBKDF2 hasher costs about 0.3 s per demo user; accessibility does not depend on it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(fast_passwords) -> dict:
    """The demo data set, an API key and a webhook subscription; returns the demo users by username."""
    call_command("seed_demo", stdout=StringIO())
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.filter(username__in=["comms", "legal", "lead"])}
    apikey_services.apikey_create(actor=users["lead"], name="Monitoring tool", scopes=["ingest"])
    webhook_services.subscription_create(
        actor=users["lead"], name="Status page", url="https://status.example.org/hook", event_types=["incident.opened"]
    )
    return users


@pytest.fixture
def axe_page(browser, live_server, django_db_serialized_rollback):
    # bypass_csp: the strict Content-Security-Policy refuses injected scripts; only this test injects one.
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport={"width": 1400, "height": 1000},
        bypass_csp=True,
        reduced_motion="reduce",  # no smooth scrolling: a focused element is in view at once
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def _incident() -> Incident:
    return Incident.objects.filter(confidential=False).order_by("severity", "pk").first()


def _statement(status: str) -> Statement:
    return Statement.objects.filter(status=status).order_by("pk").first()


def _statement_url() -> str:
    statement = _statement(ReviewStatus.APPROVED) or _statement(ReviewStatus.PUBLISHED)
    return reverse("incidents:statement_detail", kwargs={"reference": statement.incident.reference, "pk": statement.pk})


def _review_url() -> str:
    statement = _statement(ReviewStatus.IN_REVIEW)
    return kind_of(statement).review_url(statement)


@dataclass(frozen=True)
class Screen:
    name: str
    user: str | None  # demo username, None: anonymous
    url: Callable[[], str]


SCREENS = [
    Screen("login", None, lambda: reverse("login")),
    Screen("newsroom", None, lambda: reverse("newsroom:list")),
    Screen("dashboard", "lead", lambda: reverse("dashboard")),
    Screen("incidents", "lead", lambda: reverse("incidents:list")),
    Screen("war room", "lead", lambda: reverse("incidents:detail", kwargs={"reference": _incident().reference})),
    Screen("statement", "lead", _statement_url),
    Screen("review queue", "legal", lambda: reverse("review:queue")),
    Screen("review page", "legal", _review_url),
    Screen("inbox", "comms", lambda: reverse("mentions:inbox")),
    Screen("alerts", "lead", lambda: reverse("mentions:alerts")),
    Screen("alert", "lead", lambda: reverse("mentions:alert", kwargs={"pk": Alert.objects.order_by("pk").first().pk})),
    Screen("playbooks", "lead", lambda: reverse("playbooks:list")),
    Screen(
        "playbook", "lead", lambda: reverse("playbooks:detail", kwargs={"pk": Playbook.objects.order_by("pk")[0].pk})
    ),
    Screen("roster", "lead", lambda: reverse("roster:list")),
    Screen("post-crisis list", "lead", lambda: reverse("postmortems:list")),
    Screen(
        "post-crisis page",
        "lead",
        lambda: reverse("postmortems:detail", kwargs={"pk": PostmortemReview.objects.order_by("pk")[0].pk}),
    ),
    Screen("post-crisis metrics", "lead", lambda: reverse("postmortems:metrics")),
    Screen("key messages", "lead", lambda: reverse("keymessages:list")),
    Screen(
        "key message",
        "lead",
        lambda: reverse("keymessages:detail", kwargs={"pk": KeyMessage.objects.order_by("pk")[0].pk}),
    ),
    Screen("API keys", "lead", lambda: reverse("apikeys:list")),
    Screen("webhooks", "lead", lambda: reverse("webhooks:list")),
]


def sign_in(page, username: str) -> None:
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"crisis-{username}")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.0/2.1/2.2 A and AA) on the page; the violations, as axe reports them."""
    page.add_script_tag(content=AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": WCAG_AA_TAGS}, "resultTypes": ["violations"]}
    results = page.evaluate("options => axe.run(document, options)", options)
    return results["violations"]


def describe(name: str, violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{name}] {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:8]:
            target = json.dumps(node["target"])
            lines.append(f"    {target}  {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"        {summary[:240]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


@pytest.mark.parametrize("screen", SCREENS, ids=[s.name.replace(" ", "-") for s in SCREENS])
def test_no_critical_or_serious_axe_violation(axe_page, demo, screen):
    if screen.user:
        sign_in(axe_page, screen.user)
    url = screen.url()
    response = axe_page.goto(url)
    assert response.status == 200, f"{screen.name}: {url} answered {response.status}"
    axe_page.wait_for_load_state("networkidle")
    blocking = [v for v in axe_violations(axe_page) if v["impact"] in BLOCKING]
    assert not blocking, f"{screen.name} ({url}):\n" + describe(screen.name, blocking)
    # One h1 names the page (axe's page-has-heading-one is a best practice, outside the WCAG tags).
    assert axe_page.locator("h1").count() == 1, f"{screen.name} ({url}) has no single h1"


FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(),
    text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 60),
    href: el.getAttribute("href"),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    onscreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < window.innerHeight,
  };
}"""


def tab_to(page, wanted: Callable[[dict], bool], *, limit: int = 250) -> dict:
    """Press Tab until the focused element is ``wanted``; every stop on the way must show a visible focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        assert focused["outline"], f"no visible focus ring on {focused}"
        assert focused["onscreen"], f"the focused element is off screen: {focused}"
        if wanted(focused):
            return focused
    raise AssertionError(f"not reached with Tab in {limit} presses on {page.url}")


def test_keyboard_only_from_the_dashboard_to_a_published_statement(axe_page, demo):
    # An open incident below severity 1 (Legal's approval suffices there), with a statement Legal approved.
    incident = (
        Incident.objects.filter(confidential=False, severity__gt=1)
        .exclude(status__in=["resolved", "closed"])
        .order_by("severity", "pk")
        .first()
    )
    statement = statement_in(
        ReviewStatus.APPROVED,
        author=demo["comms"],
        reviewer=demo["legal"],
        publisher=None,
        withdrawer=None,
        incident=incident,
        title="Keyboard-only holding line",
    )
    incident_url = reverse("incidents:detail", kwargs={"reference": statement.incident.reference})
    statement_url = reverse(
        "incidents:statement_detail", kwargs={"reference": statement.incident.reference, "pk": statement.pk}
    )
    axe_page.on("dialog", lambda dialog: dialog.accept())
    sign_in(axe_page, "lead")

    tab_to(axe_page, lambda f: f["href"] == incident_url)
    axe_page.keyboard.press("Enter")
    axe_page.wait_for_url(f"**{incident_url}")
    tab_to(axe_page, lambda f: f["href"] == statement_url)
    axe_page.keyboard.press("Enter")
    axe_page.wait_for_url(f"**{statement_url}")
    tab_to(axe_page, lambda f: f["tag"] == "button" and f["text"] == "Publish")
    axe_page.keyboard.press("Enter")
    axe_page.get_by_text("Published.", exact=True).wait_for()
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.PUBLISHED
