"""The one review queue (``selectors.waiting_for``): browser, API, navigation badge and admin list the same items."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from crisisdesk.review import services as review
from crisisdesk.review.models import Action, ReviewStatus
from crisisdesk.review.selectors import waiting_for
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, role

from .helpers import make_key_message, second_communicator, second_legal, statement_in

pytestmark = pytest.mark.django_db

QUEUE = "/reviews/queue/"
API_QUEUE = "/api/v1/review-queue/"


def in_review(author, incident, **kwargs):
    return statement_in(
        ReviewStatus.IN_REVIEW,
        author=author,
        reviewer=None,
        publisher=None,
        withdrawer=None,
        incident=incident,
        **kwargs,
    )


def submitted_key_message(author, **kwargs):
    key_message = make_key_message(author=author, **kwargs)
    review.review_submit(actor=author, item=key_message)
    key_message.refresh_from_db()
    return key_message


@pytest.fixture
def author(db):
    return second_communicator()


@pytest.fixture
def critical(team_lead):
    """A severity 1 incident led by the team lead: its statements need Legal and the incident lead."""
    incident = IncidentFactory(severity=1, lead=team_lead, title="Critical")
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    return incident


@pytest.fixture
def waiting(author, communicator, legal, team_lead, incident, critical, confidential_incident):
    """One of each: plain, severity 1, half approved, confidential, a key message, and one by another author.

    Only the second Legal reviewer is a member of the confidential incident.
    """
    MembershipFactory(incident=confidential_incident, user=second_legal(), role=role("legal"))
    half = in_review(author, critical, title="Half approved")
    review.review_approve(actor=legal, item=half, revision=half.current_revision)
    return [
        in_review(author, incident, title="Plain"),
        in_review(author, critical, title="Severity 1"),
        half,
        in_review(team_lead, confidential_incident, title="Confidential"),
        submitted_key_message(author, title="Key message"),
        in_review(communicator, incident, title="By the communicator"),
    ]


def listed(entries) -> list[tuple[str, int]]:
    return [(entry.item_type, entry.item.pk) for entry in entries]


@pytest.mark.parametrize(
    "persona", ["communicator", "legal", "team_lead", "observer", "outsider", "legal2", "comms2", "admin_user"]
)
def test_browser_api_and_badge_list_the_same_items(request, client, personas, author, waiting, persona):
    users = {
        **personas,
        "legal2": second_legal(),
        "comms2": author,
        "admin_user": request.getfixturevalue("admin_user"),
    }
    user = users[persona]
    expected = listed(waiting_for(user))

    client.force_login(user)
    page = client.get(QUEUE)
    api = APIClient()
    api.force_login(user)
    rows = api.get(API_QUEUE)

    if persona == "outsider":
        assert (page.status_code, rows.status_code, expected) == (403, 403, [])
        return
    assert page.status_code == rows.status_code == 200
    assert listed(page.context["entries"]) == expected
    assert [(row["item_type"], row["item_id"]) for row in rows.json()] == expected
    html = page.content.decode()
    for item_type, pk in expected:
        kind = item_type.split(".")[1]
        assert reverse("review:review", kwargs={"kind": kind, "pk": pk}) in html
    badge = client.get(reverse("dashboard")).content.decode()
    if expected:
        assert f'cd-queue-count">{len(expected)}' in badge
    else:
        assert "cd-queue-count" not in badge


def test_each_persona_waits_for_what_the_policy_asks_of_them(personas, author, waiting, team_lead):
    plain, severity_1, half, confidential, key_message, by_communicator = waiting
    assert [entry.item for entry in waiting_for(personas["legal"])] == [plain, severity_1, key_message, by_communicator]
    assert [entry.requirement.code for entry in waiting_for(personas["legal"])] == ["legal"] * 4
    # The team lead gives the incident lead's approval, also where Legal already approved.
    assert [(entry.item, entry.requirement.code) for entry in waiting_for(team_lead)] == [
        (half, "incident_lead"),
        (severity_1, "incident_lead"),
    ]
    # Legal's approval of the half approved one is given: a second Legal reviewer cannot add another.
    assert [entry.item for entry in waiting_for(second_legal())] == [
        plain,
        severity_1,
        confidential,
        key_message,
        by_communicator,
    ]
    for persona in ("communicator", "observer", "outsider"):
        assert waiting_for(personas[persona]) == []
    assert waiting_for(author) == []


def test_queue_offers_what_the_engine_would_let_each_person_approve(request, personas, author, waiting):
    users = [*personas.values(), second_legal(), author, request.getfixturevalue("admin_user")]
    for user in users:
        expected = []
        for item in waiting:
            item.refresh_from_db()
            if Action.APPROVE in review.available_actions(user=user, item=item):
                expected.append((item._meta.label_lower, item.pk))
        assert sorted(listed(waiting_for(user))) == sorted(expected), user


def test_admin_filter_is_the_same_queue(client, legal, waiting):
    legal.is_staff = True
    legal.save(update_fields=["is_staff"])
    client.force_login(legal)
    expected = {(entry.item_type, entry.item.pk) for entry in waiting_for(legal)}
    shown = set()
    for model_name, item_type in (
        ("incidents_statement", "incidents.statement"),
        ("playbooks_keymessage", "playbooks.keymessage"),
    ):
        response = client.get(reverse(f"admin:{model_name}_changelist"), {"waiting_for_me": "1"})
        assert response.status_code == 200
        assert "Waiting for my review" in response.content.decode()
        shown |= {(item_type, item.pk) for item in response.context["cl"].result_list}
    assert shown == expected


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as context:
        function()
    return len(context.captured_queries)


def _fill(author, legal, team_lead, kind: str, numbers: range) -> None:
    """Waiting items of one kind. Statements of every severity, severity 1 ones led by the team lead and
    some of those already approved by Legal; the first (number 0) waits for Legal and for the team lead."""
    for n in numbers:
        if kind == "keymessage":
            submitted_key_message(author, title=f"key message {n}")
            continue
        critical = n % 3 != 1
        incident = IncidentFactory(severity=1 if critical else 2 + n % 3, lead=team_lead if critical else None)
        if critical:
            MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
        statement = in_review(author, incident, title=f"statement {n}")
        if critical and n % 4 == 3:
            review.review_approve(actor=legal, item=statement, revision=statement.current_revision)


@pytest.mark.parametrize(
    ("kind", "reviewer"), [("statement", "legal"), ("statement", "team_lead"), ("keymessage", "legal")]
)
def test_queue_costs_a_flat_number_of_queries(client, personas, author, kind, reviewer):
    """1 or 20 waiting items of a kind: the same queries (a constant per reviewable kind, none per row)."""
    legal, team_lead = personas["legal"], personas["team_lead"]
    user = personas[reviewer]
    api = APIClient()
    api.force_login(user)
    client.force_login(user)

    def cost():
        # A fresh user object each time: Django caches permissions on the instance.
        fresh = type(user).objects.get(pk=user.pk)
        return (
            _queries(lambda: waiting_for(fresh)),
            _queries(lambda: api.get(API_QUEUE)),
            _queries(lambda: client.get(QUEUE)),
        )

    _fill(author, legal, team_lead, kind, range(1))
    assert len(waiting_for(user)) == 1
    # Untimed first requests: a session's first request stamps its sign-in time (one-off writes).
    api.get(API_QUEUE)
    client.get(QUEUE)
    with_one = cost()
    _fill(author, legal, team_lead, kind, range(1, 30))
    assert len(waiting_for(user)) >= 20
    assert cost() == with_one
