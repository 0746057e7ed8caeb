"""Exports of a post-crisis review against hostile text (issue 13): the Markdown download carries no
raw HTML tag and no javascript:/data: link from user text; the printable page escapes it."""

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils.html import escape

from crisisdesk.mdsafe import md_inline, md_text
from incidents import services as incident_services
from incidents.models import TimelineKind
from postmortems import services
from postmortems.tests.helpers import published_review, resolved_review, second_team_lead

XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '"><svg onload=alert(1)>',
    "[click me](javascript:alert(1))",
    "[click me](JaVaScRiPt:alert(document.cookie))",
    "![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](data:text/html,<script>alert(1)</script>)",
    "<javascript:alert(1)>",
    "[x](&#106;avascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "<!-- hidden --><iframe src=//evil>",
]

DANGEROUS = re.compile(r"(?i)<\s*[a-z!/]|javascript:|vbscript:|data:\S")


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_md_text_leaves_no_tag_nor_dangerous_link(payload):
    assert not DANGEROUS.search(md_text(payload)), md_text(payload)
    assert not DANGEROUS.search(md_inline(payload + "\n" + payload))


def test_md_text_keeps_ordinary_markdown_and_prose():
    assert md_text("See [the report](https://example.org/r) and *this*.") == (
        "See [the report](https://example.org/r) and *this*."
    )
    assert md_text("Our data: 40% & rising") == "Our data: 40% &amp; rising"
    assert md_inline("two\nlines") == "two lines"


@pytest.mark.django_db
@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_markdown_and_print_exports_of_a_review_neutralise_user_text(client_for, team_lead, incident, payload):
    incident.title = f"Incident {payload}"
    incident.save(update_fields=["title"])
    incident_services.timeline_add_note(
        actor=team_lead, incident=incident, body=f"Decided {payload}\nsecond line {payload}", kind=TimelineKind.DECISION
    )
    item = resolved_review(lead=team_lead, incident=incident)
    services.action_item_create(
        actor=team_lead, review_item=item, title=f"Fix {payload}", owner=team_lead, due_date=date(2026, 12, 24)
    )
    incident.refresh_from_db()
    item = published_review(
        author=team_lead,
        approver=second_team_lead(),
        incident=incident,
        title=f"Review {payload}",
        lessons=f"Lesson {payload}",
        impact_press=f"Press {payload}",
    )
    client = client_for(team_lead)
    markdown = client.get(reverse("postmortems:markdown", args=[item.pk])).content.decode()
    assert markdown.count("Decided") == 1
    for line in markdown.splitlines():
        assert not DANGEROUS.search(line), line
    printable = client.get(reverse("postmortems:print", args=[item.pk])).content.decode()
    assert escape(payload) in printable  # shown, as text
    assert live_markup(printable) == []


class _Markup(HTMLParser):
    """Elements and attributes a browser would act on: event handlers, script/data URLs, injected tags."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in ("img", "svg", "iframe") or (tag == "script" and not dict(attrs).get("src")):
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or re.match(r"(?i)\s*(javascript|vbscript|data):", value or ""):
                self.found.append(f"{tag}[{name}]")


def live_markup(page: str) -> list[str]:
    parser = _Markup()
    parser.feed(page)
    return parser.found
