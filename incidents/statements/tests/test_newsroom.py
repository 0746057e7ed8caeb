"""The public newsroom and its Atom feed: anonymous, only what went out, withdrawal notices, flat queries."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisisdesk.review import services as review
from crisisdesk.review.models import ReviewStatus
from crisisdesk.review.tests.helpers import second_communicator, statement_in
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory

pytestmark = pytest.mark.django_db

S = ReviewStatus
ATOM = {"atom": "http://www.w3.org/2005/Atom"}


@pytest.fixture
def author(db):
    return second_communicator()


@pytest.fixture
def build(legal, team_lead, incident, author):

    def _build(status, **kwargs):
        kwargs.setdefault("incident", incident)
        return statement_in(status, author=author, reviewer=legal, publisher=author, withdrawer=team_lead, **kwargs)

    return _build


def feed_entries(client):
    response = client.get(reverse("newsroom:feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ElementTree.fromstring(response.content).findall("atom:entry", ATOM)


def test_url_names():
    assert reverse("newsroom:list") == "/newsroom/"
    assert reverse("newsroom:feed") == "/newsroom/feed/"
    assert reverse("newsroom:detail", kwargs={"pk": 7}) == "/newsroom/7/"


def test_anonymous_reads_published_statements_newest_first(client, build, incident):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=1), tick=False):
        older = build(S.PUBLISHED, title="Older statement", body="We are **investigating**.", body_format="markdown")
    newer = build(S.PUBLISHED, title="Newer statement")
    response = client.get(reverse("newsroom:list"))
    assert response.status_code == 200
    assert [entry.statement for entry in response.context["entries"]] == [newer, older]
    page = response.content.decode()
    assert "<strong>investigating</strong>" in page
    # The incident's live title is staff's working label, never public words (issue 12).
    assert incident.title not in page
    detail = client.get(reverse("newsroom:detail", kwargs={"pk": older.pk}))
    assert detail.status_code == 200
    assert "Older statement" in detail.content.decode()
    titles = [entry.find("atom:title", ATOM).text for entry in feed_entries(client)]
    assert titles == ["Newer statement", "Older statement"]


def test_feed_items_carry_the_sanitised_html_and_a_link(client, build):
    statement = build(S.PUBLISHED, body="Hello <script>x()</script> **there**", body_format="markdown")
    (entry,) = feed_entries(client)
    content = entry.find("atom:content", ATOM)
    assert content.get("type") == "html"
    assert "<strong>there</strong>" in content.text
    assert "<script" not in content.text
    assert entry.find("atom:link", ATOM).get("href").endswith(f"/newsroom/{statement.pk}/")


@pytest.mark.parametrize("status", [S.DRAFT, S.IN_REVIEW, S.APPROVED, S.REJECTED])
def test_unpublished_statements_stay_out(client, build, status):
    statement = build(status, title=f"Not public {status}")
    assert f"Not public {status}" not in client.get(reverse("newsroom:list")).content.decode()
    assert client.get(reverse("newsroom:detail", kwargs={"pk": statement.pk})).status_code == 404
    assert feed_entries(client) == []


@pytest.mark.parametrize("flags", [{"confidential": True}, {"is_exercise": True}])
def test_confidential_and_exercise_incidents_stay_out(client, build, author, legal, team_lead, flags):
    incident = IncidentFactory(lead=team_lead, **flags)
    for member in (author, legal):
        MembershipFactory(incident=incident, user=member)
    statement = build(S.PUBLISHED, incident=incident, title="Internal only")
    assert "Internal only" not in client.get(reverse("newsroom:list")).content.decode()
    assert client.get(reverse("newsroom:detail", kwargs={"pk": statement.pk})).status_code == 404
    assert feed_entries(client) == []


def test_withdrawn_statement_shows_the_notice_instead_of_the_text(client, build, team_lead):
    statement = build(S.PUBLISHED, title="Recalled words", body="The jar is perfectly safe.")
    review.review_withdraw(actor=team_lead, item=statement, reason="Lab results showed a defect.")
    for url in (reverse("newsroom:list"), reverse("newsroom:detail", kwargs={"pk": statement.pk})):
        page = client.get(url).content.decode()
        assert "This statement was withdrawn on" in page
        # The reason the lead typed stays internal (issue 12).
        assert "Lab results showed a defect." not in page
        assert "Recalled words" in page
        assert "The jar is perfectly safe." not in page
    (entry,) = feed_entries(client)
    assert entry.find("atom:title", ATOM).text == "Withdrawn: Recalled words"
    content = entry.find("atom:content", ATOM).text
    assert "This statement was withdrawn on" in content
    assert "Lab results showed a defect." not in content
    assert "perfectly safe" not in content


def test_newsroom_needs_no_login_and_links_to_the_feed(client, db):
    page = client.get(reverse("newsroom:list"))
    assert page.status_code == 200
    assert 'type="application/atom+xml"' in page.content.decode()


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["newsroom:list", "newsroom:feed"])
def test_query_count_is_flat(client, build, team_lead, name):
    build(S.PUBLISHED)
    with_one = _count(client, reverse(name))
    for n in range(19):
        statement = build(S.PUBLISHED, title=f"s{n}", incident=IncidentFactory())
        if n % 3 == 0:
            review.review_withdraw(actor=team_lead, item=statement, reason="Superseded.")
    assert _count(client, reverse(name)) == with_one
