"""Legal's queue and the review page in the browser: who sees what, oldest first, escaped diffs, decisions."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisisdesk.review import services as review
from crisisdesk.review.models import Action, ReviewStatus
from crisisdesk.review.selectors import waiting_for
from crisisdesk.review.views import text_diff
from crisisdesk.roles import LEGAL
from crisisdesk.testing.factories import FactFactory, IncidentFactory, MembershipFactory, UserFactory, role
from incidents import services as incident_services
from incidents.statements.services import statement_update
from playbooks.keymessages.services import keymessage_update

from .helpers import (
    approved_key_message,
    make_key_message,
    second_communicator,
    second_legal,
    statement_in,
)

pytestmark = pytest.mark.django_db

S = ReviewStatus
QUEUE = "/reviews/queue/"


@pytest.fixture
def author(db):
    return second_communicator()


def in_review(author, incident, **kwargs):
    return statement_in(
        S.IN_REVIEW, author=author, reviewer=None, publisher=None, withdrawer=None, incident=incident, **kwargs
    )


def submitted_key_message(author, **kwargs):
    key_message = make_key_message(author=author, **kwargs)
    review.review_submit(actor=author, item=key_message)
    key_message.refresh_from_db()
    return key_message


def review_url(item, kind="statement"):
    return reverse("review:review", kwargs={"kind": kind, "pk": item.pk})


def test_queue_url_name():
    assert reverse("review:queue") == QUEUE


@pytest.mark.parametrize(
    ("persona", "status"),
    [("communicator", 200), ("legal", 200), ("team_lead", 200), ("observer", 200), ("outsider", 403)],
)
def test_queue_access(personas, client_for, persona, status):
    assert client_for(personas[persona]).get(QUEUE).status_code == status


def test_queue_needs_login(client, db):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_queue_lists_statements_and_key_messages_oldest_first_with_their_age(client_for, legal, author, incident):
    start = timezone.now()
    with time_machine.travel(start - timedelta(hours=2, minutes=10), tick=False):
        oldest = in_review(author, incident, title="Oldest statement")
    with time_machine.travel(start - timedelta(minutes=30), tick=False):
        key_message = submitted_key_message(author, title="Middle key message")
    with time_machine.travel(start - timedelta(minutes=5), tick=False):
        newest = in_review(author, incident, title="Newest statement")
    statement_in(
        S.DRAFT, author=author, reviewer=None, publisher=None, withdrawer=None, incident=incident, title="A draft"
    )
    with time_machine.travel(start, tick=False):
        response = client_for(legal).get(QUEUE)
    entries = response.context["entries"]
    assert [entry.item for entry in entries] == [oldest, key_message, newest]
    page = response.content.decode()
    assert "waiting 2 h 10 min" in page
    assert "waiting 30 min" in page
    assert "A draft" not in page
    assert review_url(key_message, "keymessage") in page


def test_queue_is_empty_for_those_who_review_nothing(client_for, communicator, team_lead, observer, author, incident):
    in_review(author, incident)
    submitted_key_message(author)
    for user in (communicator, team_lead, observer):
        assert client_for(user).get(QUEUE).context["entries"] == []


def test_queue_hides_what_the_reviewer_wrote_or_already_approved(client_for, legal, author, incident):
    both = UserFactory(username="comms-legal", role=LEGAL)
    both.groups.add(*author.groups.all())
    own = in_review(both, incident, title="Written by the reviewer")
    other = in_review(author, incident, title="Written by someone else")
    assert [entry.item for entry in waiting_for(both)] == [other]
    assert {entry.item for entry in waiting_for(legal)} == {own, other}


def test_queue_hides_confidential_statements_from_non_members(client_for, legal, team_lead, confidential_incident):
    statement = in_review(team_lead, confidential_incident, title="Secret words")
    response = client_for(legal).get(QUEUE)
    assert response.context["entries"] == []
    assert "Secret words" not in response.content.decode()
    MembershipFactory(incident=confidential_incident, user=legal, role=role("legal"))
    assert [entry.item for entry in waiting_for(legal)] == [statement]


def test_severity_1_statement_waits_for_legal_and_the_incident_lead(legal, team_lead, author):
    incident = IncidentFactory(severity=1, lead=team_lead)
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    statement = in_review(author, incident)
    assert [entry.requirements[0].code for entry in waiting_for(team_lead)] == ["incident_lead"]
    assert [entry.requirements[0].code for entry in waiting_for(legal)] == ["legal"]
    review.review_approve(actor=team_lead, item=statement, revision=statement.current_revision)
    assert waiting_for(team_lead) == []
    assert [entry.item for entry in waiting_for(legal)] == [statement]


def test_queue_agrees_with_the_engine(personas, legal, team_lead, author):
    """The queue's bulk evaluation offers exactly the items where the engine would offer "approve"."""
    critical = IncidentFactory(severity=1, lead=team_lead)
    MembershipFactory(incident=critical, user=team_lead, role=role("lead"))
    normal = IncidentFactory()
    items = [in_review(author, critical), in_review(author, normal), submitted_key_message(author)]
    half = in_review(author, critical, title="half approved")
    review.review_approve(actor=legal, item=half, revision=half.current_revision)
    items.append(half)
    reviewers = [*personas.values(), second_legal()]
    for user in reviewers:
        queued = {(type(entry.item), entry.item.pk) for entry in waiting_for(user)}
        expected = set()
        for item in items:
            item.refresh_from_db()
            if Action.APPROVE in review.available_actions(user=user, item=item):
                expected.add((type(item), item.pk))
        assert queued == expected, user


def test_navbar_counts_what_waits(client_for, legal, communicator, author, incident):
    in_review(author, incident)
    submitted_key_message(author)
    page = client_for(legal).get(reverse("dashboard")).content.decode()
    assert 'cd-queue-count">2' in page
    assert "cd-queue-count" not in client_for(communicator).get(reverse("dashboard")).content.decode()


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_is_flat(client_for, legal, team_lead, author):
    client = client_for(legal)
    critical = IncidentFactory(severity=1, lead=team_lead)
    MembershipFactory(incident=critical, user=team_lead, role=role("lead"))
    in_review(author, critical)
    submitted_key_message(author)
    with_two = _count(client, QUEUE)
    for n in range(25):
        in_review(author, IncidentFactory(severity=1 + n % 4), title=f"statement {n}")
        submitted_key_message(author, title=f"key message {n}")
    assert len(waiting_for(legal)) == 52
    assert _count(client, QUEUE) == with_two
    lead_client = client_for(team_lead)
    assert _count(lead_client, QUEUE) == _count(lead_client, QUEUE)


# --- the review page ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("communicator", 200), ("legal", 200), ("team_lead", 200), ("observer", 200), ("outsider", 404)],
)
def test_review_page_access(personas, client_for, author, incident, persona, status):
    statement = in_review(author, incident)
    key_message = submitted_key_message(author)
    client = client_for(personas[persona])
    assert client.get(review_url(statement)).status_code == status
    assert client.get(review_url(key_message, "keymessage")).status_code == status


def test_unknown_kind_is_404(client_for, legal):
    assert client_for(legal).get("/reviews/playbook/1/").status_code == 404


def test_review_page_first_submission_compares_with_nothing(client_for, legal, author, incident):
    statement = in_review(author, incident, body="Line one\nLine two")
    response = client_for(legal).get(review_url(statement))
    assert response.context["base_label"] == "nothing: this is the first submission"
    assert [row["op"] for row in response.context["body_diff"]] == ["insert", "insert"]
    assert response.context["reviewer_actions"] == [Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT]
    page = response.content.decode()
    assert f'name="revision" value="{statement.current_revision_id}"' in page
    assert f'name="next" value="{QUEUE}"' in page


def test_review_page_diffs_against_the_last_approved_revision(client_for, legal, author, incident):
    statement = statement_in(
        S.APPROVED, author=author, reviewer=legal, publisher=None, withdrawer=None, incident=incident,
        body="We apologise.\nRefunds are available.",
    )  # fmt: skip
    statement_update(actor=author, statement=statement, body="We apologise.\nFull refunds are available.")
    statement.refresh_from_db()
    review.review_submit(actor=author, item=statement)
    response = client_for(second_legal()).get(review_url(statement))
    assert response.context["base_label"] == "the last approved revision (r1)"
    rows = response.context["body_diff"]
    assert [row["op"] for row in rows] == ["equal", "delete", "insert"]
    assert rows[2]["segments"] == [
        {"changed": True, "text": "Full refunds"},
        {"changed": False, "text": " are available."},
    ]
    assert "<ins>Full refunds</ins> are available." in response.content.decode()


def test_review_page_diffs_against_the_key_message(client_for, legal, author, incident):
    key_message = approved_key_message(author=author, reviewer=legal, body="We are investigating.")
    from incidents.statements.services import statement_create

    statement = statement_create(
        actor=author, incident=incident, channels=["x"], from_key_message=key_message, body="We are investigating now."
    )
    review.review_submit(actor=author, item=statement)
    response = client_for(legal).get(review_url(statement))
    assert response.context["base_label"].startswith("the approved key message")
    assert [row["op"] for row in response.context["body_diff"]] == ["delete", "insert"]


def test_review_page_diff_is_escaped(client_for, legal, author, incident):
    payload = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    statement = in_review(author, incident, title=f"T {payload}", body=f"Before\n{payload}")
    page = client_for(legal).get(review_url(statement)).content.decode()
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_text_diff_is_plain_data():
    rows = text_diff("a <b>\nsame", "a <i>\nsame")
    assert rows[0]["op"] == "delete" and rows[1]["op"] == "insert" and rows[2]["op"] == "equal"
    assert "".join(segment["text"] for segment in rows[1]["segments"]) == "a <i>"


def test_review_page_flags_unverified_and_refuted_facts(client_for, legal, team_lead, author, incident):
    confirmed = FactFactory(incident=incident, claim="Confirmed claim")
    refuted = FactFactory(incident=incident, claim="Refuted claim")
    unverified = FactFactory(incident=incident, claim="Unverified claim")
    incident_services.fact_verify(actor=team_lead, fact=confirmed, status="confirmed")
    incident_services.fact_verify(actor=team_lead, fact=refuted, status="refuted")
    statement = in_review(author, incident, facts=[confirmed, refuted, unverified])
    response = client_for(legal).get(review_url(statement))
    assert {fact.claim: fact.status for fact in response.context["facts"]} == {
        "Confirmed claim": "confirmed",
        "Refuted claim": "refuted",
        "Unverified claim": "unverified",
    }
    assert response.content.decode().count("cd-fact-warning") == 2


def test_review_page_offers_no_decision_to_non_reviewers(client_for, communicator, author, incident):
    statement = in_review(author, incident)
    response = client_for(communicator).get(review_url(statement))
    assert response.context["reviewer_actions"] == []
    assert 'value="approve"' not in response.content.decode()


def test_approve_from_the_review_page_returns_to_the_queue(client_for, legal, author, incident):
    statement = in_review(author, incident)
    key_message = submitted_key_message(author)
    client = client_for(legal)
    response = client.post(
        reverse("incidents:statement_transition", kwargs={"reference": incident.reference, "pk": statement.pk}),
        {"action": "approve", "revision": statement.current_revision_id, "next": QUEUE, "comment": "Fine."},
    )
    assert response["Location"] == QUEUE
    assert "Approved." in [str(m) for m in get_messages(response.wsgi_request)]
    statement.refresh_from_db()
    assert statement.status == S.APPROVED
    response = client.post(
        reverse("keymessages:transition", kwargs={"pk": key_message.pk}),
        {
            "action": "request_changes",
            "revision": key_message.current_revision_id,
            "comment": "Shorter.",
            "next": QUEUE,
        },
    )
    key_message.refresh_from_db()
    assert key_message.status == S.DRAFT
    assert client.get(QUEUE).context["entries"] == []


def test_severity_1_first_approval_says_what_is_still_missing(client_for, legal, team_lead, author):
    incident = IncidentFactory(severity=1, lead=team_lead)
    statement = in_review(author, incident)
    response = client_for(legal).post(
        reverse("incidents:statement_transition", kwargs={"reference": incident.reference, "pk": statement.pk}),
        {"action": "approve", "revision": statement.current_revision_id},
    )
    assert "still waiting for: Incident lead" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


def test_key_message_edit_after_approval_shows_in_the_review_diff(client_for, legal, author):
    key_message = approved_key_message(author=author, reviewer=legal, body="Old line")
    keymessage_update(actor=author, key_message=key_message, body="New line")
    key_message.refresh_from_db()
    review.review_submit(actor=author, item=key_message)
    response = client_for(second_legal()).get(review_url(key_message, "keymessage"))
    assert response.context["base_label"] == "the last approved revision (r1)"
    assert [row["op"] for row in response.context["body_diff"]] == ["delete", "insert"]
