"""SQL of the review queue, the mention inbox and the dashboard, per persona, flat in rows (issue 15).

Same method as ``test_query_counts``: a signed-in browser request, the session's one-off sign-in
stamp made before counting. The queue holds 1 then 50 statements in review; the inbox 1 then 500
mentions (each with its matched watch term); the dashboard 1 then 50 active incidents.
"""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisisdesk.review import services as review
from crisisdesk.review.tests.helpers import make_statement
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, role
from incidents.listening import services as mention_services
from incidents.listening.models import Mention, MentionTerm, WatchTerm

pytestmark = pytest.mark.django_db

POSTED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

PERSONAS = ["communicator", "legal", "observer", "superuser", "team_lead"]
# The most SQL each page may cost, per persona.
# Before this round 10 for everyone: each team's roles came in a query of their own, and
# "does this person hold the Legal/Communicator permission?" was asked of the database although the
# request had read the person's permissions already. A superuser's is still asked (has_explicit_perm).
QUEUE_BUDGET = {"communicator": 8, "legal": 8, "observer": 8, "superuser": 9, "team_lead": 8}
# Who may triage or open incidents from mentions also gets the open-incident picker's query.
INBOX_BUDGET = {"communicator": 8, "legal": 7, "observer": 7, "superuser": 8, "team_lead": 8}
# Before this round 10: the response targets and the last publications now come with the incidents.
# The review badge when some review round is open and its cached count is stale: the queue's own queries
# (requests, items with their teams, revisions' authors, approvals).
REVIEW_BADGE_COST = 5
# The dashboard (fourth round): the response targets (four rows), one narrow query ranking every active
# incident by urgency in SQL, one for the cards it shows — 10 per severity, whatever the number active.
DASHBOARD_BUDGET = {"communicator": 10, "legal": 10, "observer": 10, "superuser": 10, "team_lead": 10}


@pytest.fixture
def everyone(personas, admin_user):
    return {**personas, "superuser": admin_user}


def count(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


def signed_in(client, user, path):
    client.force_login(user)
    count(client, path)  # the one-off sign-in stamp
    return client


def _mentions(start, n):
    mentions = [
        Mention(platform="x", external_id=f"q-{i}", text=f"Acme jar {i} cracked", posted_at=POSTED)
        for i in range(start, start + n)
    ]
    mention_services.mentions_ingest(mentions=mentions, source="api")


def _in_review(author, n, team_lead):
    for _ in range(n):
        incident = IncidentFactory(lead=team_lead)
        MembershipFactory(incident=incident, user=author, role=role("communications"))
        review.review_submit(actor=author, item=make_statement(author=author, incident=incident))


@pytest.mark.parametrize("persona", PERSONAS)
def test_review_queue_sql_is_flat_from_1_to_50_items(client, everyone, comms2, persona):
    path = reverse("review:queue")
    team_lead = everyone["team_lead"]
    _in_review(comms2, 1, team_lead)
    client = signed_in(client, everyone[persona], path)
    one = count(client, path)
    _in_review(comms2, 49, team_lead)
    fifty = count(client, path)
    assert one == fifty <= QUEUE_BUDGET[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_mention_inbox_sql_is_flat_from_1_to_500_mentions(client, everyone, persona):
    path = reverse("mentions:inbox")
    WatchTerm.objects.create(term="jar")
    _mentions(0, 1)
    client = signed_in(client, everyone[persona], path)
    one = count(client, path)
    _mentions(1, 500)
    assert MentionTerm.objects.count() == 501
    five_hundred = count(client, path)
    assert one == five_hundred <= INBOX_BUDGET[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_dashboard_sql_is_flat_from_1_to_50_incidents(client, everyone, persona):
    path = reverse("dashboard")
    team_lead = everyone["team_lead"]
    IncidentFactory(lead=team_lead)
    client = signed_in(client, everyone[persona], path)
    one = count(client, path)
    IncidentFactory.create_batch(49, lead=team_lead)
    confidential = IncidentFactory(lead=team_lead, confidential=True)
    MembershipFactory(incident=confidential, user=everyone["communicator"], role=role("communications"))
    fifty = count(client, path)
    assert one == fifty <= DASHBOARD_BUDGET[persona]


@pytest.mark.parametrize("persona", ["communicator", "legal"])
def test_the_review_badge_on_every_page_is_flat_in_open_review_rounds(client, everyone, comms2, persona):
    """With review rounds open, the badge builds the reviewer's queue once (a flat cost), then reads its cached count.

    Any review write recomputes it on the next page (crisisdesk.review.queue_count).
    """
    path = reverse("mentions:inbox")
    _mentions(0, 1)
    client = signed_in(client, everyone[persona], path)
    quiet = count(client, path)
    _in_review(comms2, 1, everyone["team_lead"])
    one = count(client, path)
    one_again = count(client, path)
    _in_review(comms2, 49, everyone["team_lead"])
    fifty = count(client, path)
    fifty_again = count(client, path)
    assert one == fifty == quiet + REVIEW_BADGE_COST
    assert one_again == fifty_again == quiet
