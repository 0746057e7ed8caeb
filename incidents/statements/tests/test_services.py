"""Statements: safe rendering, per-channel copy and limits, cited facts, live URLs, creation rules."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review import services as review
from crisisdesk.review.models import ReviewStatus
from crisisdesk.review.tests.helpers import make_statement, statement_in
from crisisdesk.testing.factories import FactFactory, IncidentFactory
from incidents import services as incident_services
from incidents.models import FactStatus, Status, TimelineEntry, TimelineKind
from incidents.statements.models import CHANNEL_LIMITS, Statement, StatementPublication
from incidents.statements.services import statement_record_url, statement_update

pytestmark = pytest.mark.django_db

S = ReviewStatus

XSS_PAYLOADS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">d</a>',
    '<p style="background:url(javascript:alert(1))" onmouseover="alert(1)">hover</p>',
    '![x](x" onerror="alert(1))',
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
@pytest.mark.parametrize("body_format", ["markdown", "plain"])
def test_no_script_survives_rendering(incident, communicator, payload, body_format):
    statement = make_statement(
        author=communicator, incident=incident, body=f"Hello\n\n{payload}", body_format=body_format
    )

    rendered = str(statement.rendered_body())

    tags = live_tags(rendered)
    assert {tag for tag, _ in tags} <= {"p", "br", "a", "img"} - ({"img"} if body_format == "plain" else set())
    assert "img" not in {tag for tag, _ in tags}  # not on the allow-list
    for _tag, attrs in tags:
        for name, value in attrs:
            assert not name.startswith("on")
            assert name in ("href", "rel", "title")
            assert not (value or "").strip().lower().startswith(("javascript:", "data:"))
    assert "<script" not in rendered.lower()
    assert "Hello" in rendered


def live_tags(html: str) -> list[tuple[str, list]]:
    """The elements a browser would build from ``html`` (escaped text is not an element)."""
    from html.parser import HTMLParser

    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_markdown_keeps_harmless_formatting(incident, communicator):
    statement = make_statement(
        author=communicator,
        incident=incident,
        body="We **apologise**.\n\n- Refunds\n- [FAQ](https://example.org/faq)",
        body_format="markdown",
    )
    html = str(statement.rendered_body())
    assert "<strong>apologise</strong>" in html
    assert '<a href="https://example.org/faq" rel="noopener noreferrer nofollow">FAQ</a>' in html
    assert statement.copy_text("x") == "We apologise.\n\n- Refunds\n- FAQ"


def test_plain_text_is_escaped_not_interpreted(incident, communicator):
    statement = make_statement(author=communicator, incident=incident, body="1 < 2 & <b>bold</b>")
    assert str(statement.rendered_body()) == "<p>1 &lt; 2 &amp; &lt;b&gt;bold&lt;/b&gt;</p>"
    assert statement.copy_text("x") == "1 < 2 & <b>bold</b>"


def test_copy_text_per_channel_shows_length_and_limit(incident, communicator):
    statement = make_statement(author=communicator, incident=incident, channels=["website", "x"], body="Short.")
    rows = {row["channel"]: row for row in statement.channel_texts()}
    assert rows["x"] == {"channel": "x", "label": "X", "text": "Short.", "length": 6, "limit": 280, "over_limit": False}
    assert rows["website"]["text"] == f"{statement.title}\n\nShort."
    assert rows["website"]["limit"] is None
    assert set(CHANNEL_LIMITS) == {
        "x",
        "facebook",
        "instagram",
        "linkedin",
        "tiktok",
        "website",
        "press_release",
        "customer_email",
        "internal_memo",
    }


@pytest.mark.parametrize(("channel", "limit"), [(c, n) for c, n in CHANNEL_LIMITS.items() if n and n < 5000])
def test_channel_length_limit_enforced_at_publish(incident, communicator, legal, channel, limit):
    statement = statement_in(
        S.APPROVED,
        author=communicator,
        reviewer=legal,
        publisher=None,
        withdrawer=None,
        incident=incident,
        channels=[channel, "website"],
        body="a" * (limit + 1),
    )
    with pytest.raises(ValidationError) as excinfo:
        review.review_publish(actor=communicator, item=statement)
    assert str(excinfo.value.message_dict["body"][0]).startswith(
        f"Too long for {statement.channel_texts()[0]['label']}"
    )
    statement.refresh_from_db()
    assert statement.status == S.APPROVED


def test_exactly_at_the_limit_publishes(incident, communicator, legal):
    statement = statement_in(
        S.PUBLISHED,
        author=communicator,
        reviewer=legal,
        publisher=communicator,
        withdrawer=None,
        incident=incident,
        channels=["x"],
        body="a" * 280,
    )
    assert statement.status == S.PUBLISHED


def test_publish_needs_every_cited_fact_confirmed(incident, communicator, legal, team_lead):
    fact = FactFactory(incident=incident, claim="The jars come from batch 42.")
    statement = statement_in(
        S.APPROVED,
        author=communicator,
        reviewer=legal,
        publisher=None,
        withdrawer=None,
        incident=incident,
        facts=[fact],
    )
    with pytest.raises(InvalidTransition, match="batch 42"):
        review.review_publish(actor=communicator, item=statement)

    incident_services.fact_verify(actor=team_lead, fact=fact, status=FactStatus.CONFIRMED)
    review.review_publish(actor=communicator, item=statement)
    statement.refresh_from_db()
    assert statement.status == S.PUBLISHED


def test_citing_another_fact_is_an_edit_that_needs_review(incident, communicator, legal):
    statement = statement_in(
        S.APPROVED, author=communicator, reviewer=legal, publisher=None, withdrawer=None, incident=incident
    )
    fact = FactFactory(incident=incident)
    statement = statement_update(actor=communicator, statement=statement, facts=[fact])
    assert statement.status == S.DRAFT
    assert statement.current_revision.content["facts"] == [fact.pk]


def test_facts_of_another_incident_are_refused(incident, communicator):
    foreign = FactFactory(incident=IncidentFactory())
    with pytest.raises(ValidationError):
        make_statement(author=communicator, incident=incident, facts=[foreign])
    assert not Statement.objects.exists()


@pytest.mark.parametrize("channels", [[], ["myspace"], "x"])
def test_channels_are_validated(incident, communicator, channels):
    with pytest.raises(ValidationError):
        make_statement(author=communicator, incident=incident, channels=channels)


@pytest.mark.parametrize("persona", ["legal", "observer", "outsider"])
def test_only_drafting_roles_create_statements(incident, personas, persona):
    with pytest.raises(PermissionDenied):
        make_statement(author=personas[persona], incident=incident)
    assert not Statement.objects.exists()


def test_no_statement_for_a_closed_incident(communicator):
    closed = IncidentFactory(
        status=Status.CLOSED,
        acknowledged_at="2026-01-01T00:00Z",
        resolved_at="2026-01-01T00:00Z",
        closed_at="2026-01-01T00:00Z",
    )
    with pytest.raises(InvalidTransition):
        make_statement(author=communicator, incident=closed)


def test_creation_writes_revision_one_audit_and_timeline(incident, communicator):
    statement = make_statement(author=communicator, incident=incident, body="Line one\r\nline two")
    assert statement.body == "Line one\nline two"
    assert statement.current_revision.number == 1
    assert statement.current_revision.content["body"] == "Line one\nline two"
    assert statement.audit_events().get().action == "create"
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.STATEMENT).count() == 1


def test_visible_to_hides_confidential_statements(confidential_incident, team_lead, legal, observer):
    make_statement(author=team_lead, incident=confidential_incident)
    assert Statement.objects.visible_to(team_lead).count() == 1
    assert Statement.objects.visible_to(legal).count() == 0
    assert Statement.objects.visible_to(observer).count() == 0


# --- live URLs ---------------------------------------------------------------------------------


@pytest.fixture
def published(incident, communicator, legal):
    return statement_in(
        S.PUBLISHED, author=communicator, reviewer=legal, publisher=communicator, withdrawer=None, incident=incident
    )


def test_record_live_url(published, communicator):
    publication = statement_record_url(actor=communicator, statement=published, channel="x", url="https://x.com/a/1")
    assert publication.recorded_by == communicator
    assert published.audit_events().first().action == "record_url"


@pytest.mark.parametrize("persona", ["legal", "observer", "outsider"])
def test_record_live_url_needs_the_publish_role(published, personas, persona):
    with pytest.raises(PermissionDenied):
        statement_record_url(actor=personas[persona], statement=published, channel="x", url="https://x.com/a/1")
    assert not StatementPublication.objects.exists()


def test_record_live_url_validates(published, communicator, incident, legal):
    with pytest.raises(ValidationError):
        statement_record_url(actor=communicator, statement=published, channel="tiktok", url="https://t.example/1")
    with pytest.raises(ValidationError):
        statement_record_url(actor=communicator, statement=published, channel="x", url="javascript:alert(1)")
    draft = make_statement(author=communicator, incident=incident)
    with pytest.raises(InvalidTransition):
        statement_record_url(actor=communicator, statement=draft, channel="x", url="https://x.com/a/1")
