"""Statement API: every transition for every persona, 403/404/409/400, confidentiality, safe HTML, queues, query counts.

The rules are tested on the services (crisisdesk/review/tests); these tests prove
that every API action reaches the same service and every refusal arrives with the
right code.
"""

from datetime import date
from html.parser import HTMLParser

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisisdesk.review import services as review
from crisisdesk.review.models import Action, AuditEvent, ReviewDecision, ReviewStatus
from crisisdesk.review.tests.helpers import (
    HOLDING_TEXT,
    approved_key_message,
    make_key_message,
    make_statement,
    second_legal,
    statement_in,
)
from crisisdesk.roles import COMMUNICATOR, LEGAL
from crisisdesk.testing.factories import FactFactory, IncidentFactory, MembershipFactory, UserFactory, role
from incidents.models import Severity
from incidents.statements.models import Statement, StatementPublication
from incidents.statements.services import statement_update

pytestmark = pytest.mark.django_db

S = ReviewStatus
PERSONAS = ["communicator", "comms2", "legal", "team_lead", "lead2", "observer", "outsider"]

XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '"><svg onload=alert(1)>',
]


@pytest.fixture
def build(incident, communicator, legal, team_lead):
    """``build(status)`` → a statement written by the communicator, reviewed by legal, in that status."""

    def _build(status, **kwargs):
        return statement_in(
            status,
            author=communicator,
            reviewer=legal,
            publisher=communicator,
            withdrawer=team_lead,
            incident=kwargs.pop("incident", incident),
            **kwargs,
        )

    return _build


def detail_url(statement) -> str:
    return reverse("api:statement-detail", kwargs={"pk": statement.pk})


def action_url(statement, action: str) -> str:
    return reverse(f"api:statement-{action}", kwargs={"pk": statement.pk})


def call(client, action: str, statement):
    """Drive ``action`` through the API with plausible input, as a client would."""
    if action == Action.EDIT:
        return client.patch(detail_url(statement), {"body": statement.body + " Update."}, format="json")
    if action == Action.APPROVE:
        number = statement.current_revision.number
        return client.post(action_url(statement, "approve"), {"revision": number, "comment": "Fine."}, format="json")
    if action == Action.REQUEST_CHANGES:
        return client.post(action_url(statement, "request-changes"), {"comment": "Soften it."}, format="json")
    if action == Action.REJECT:
        return client.post(action_url(statement, "reject"), {"comment": "Never."}, format="json")
    if action == Action.WITHDRAW:
        return client.post(action_url(statement, "withdraw"), {"reason": "Facts changed."}, format="json")
    if action == Action.RECORD_URL:
        return client.post(action_url(statement, "urls"), {"channel": "x", "url": "https://x.example/1"}, format="json")
    return client.post(action_url(statement, action), {}, format="json")


# Who may do what to a communicator's statement of an ordinary incident (outsiders cannot even see it).
ALLOWED = {
    Action.EDIT: {"communicator", "comms2", "team_lead", "lead2"},
    Action.SUBMIT: {"communicator", "comms2", "team_lead", "lead2"},
    Action.APPROVE: {"legal"},
    Action.REQUEST_CHANGES: {"legal"},
    Action.REJECT: {"legal"},
    Action.PUBLISH: {"communicator", "comms2", "team_lead", "lead2"},
    Action.WITHDRAW: {"legal", "team_lead", "lead2"},
    Action.RECORD_URL: {"communicator", "comms2", "team_lead", "lead2"},
}
FROM_STATE = {
    Action.EDIT: S.APPROVED,
    Action.SUBMIT: S.DRAFT,
    Action.APPROVE: S.IN_REVIEW,
    Action.REQUEST_CHANGES: S.IN_REVIEW,
    Action.REJECT: S.IN_REVIEW,
    Action.PUBLISH: S.APPROVED,
    Action.WITHDRAW: S.PUBLISHED,
    Action.RECORD_URL: S.PUBLISHED,
}
EXPECTED_STATE = {
    Action.EDIT: S.DRAFT,
    Action.SUBMIT: S.IN_REVIEW,
    Action.APPROVE: S.APPROVED,
    Action.REQUEST_CHANGES: S.DRAFT,
    Action.REJECT: S.REJECTED,
    Action.PUBLISH: S.PUBLISHED,
    Action.WITHDRAW: S.WITHDRAWN,
    Action.RECORD_URL: S.PUBLISHED,
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(ALLOWED))
def test_every_action_for_every_persona(api, build, action, persona):
    statement = build(FROM_STATE[action])
    events_before = AuditEvent.objects.count()

    response = call(api(persona), action, statement)

    statement.refresh_from_db()
    if persona in ALLOWED[action]:
        assert response.status_code == (201 if action == Action.RECORD_URL else 200), response.content
        assert statement.status == EXPECTED_STATE[action]
        assert AuditEvent.objects.count() > events_before
        if action != Action.RECORD_URL:
            assert response.json()["status"] == EXPECTED_STATE[action]
    else:
        # An outsider holds no statement permission: the statement does not exist for them.
        assert response.status_code == (404 if persona == "outsider" else 403), response.content
        assert statement.status == FROM_STATE[action]
        assert AuditEvent.objects.count() == events_before


FORBIDDEN = [(action, state) for action in ALLOWED for state in S.values if state != FROM_STATE[action]]
# The moves the table allows from a second state (an approved statement can be withdrawn, or edited in review…).
FORBIDDEN = [
    (action, state)
    for action, state in FORBIDDEN
    if action == Action.RECORD_URL or state not in review.TRANSITIONS[action]
]


@pytest.mark.parametrize(("action", "state"), FORBIDDEN)
def test_every_forbidden_transition_is_409(api, build, people, action, state):
    statement = build(state)
    reviewer = second_legal() if action in (Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT) else None
    client = api(reviewer or people["team_lead"])
    events_before = AuditEvent.objects.count()

    response = call(client, action, statement)

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "invalid_transition"
    statement.refresh_from_db()
    assert statement.status == state
    assert AuditEvent.objects.count() == events_before


# --- the gate ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [S.DRAFT, S.IN_REVIEW])
def test_publish_without_approval_is_409(api, build, state):
    statement = build(state)
    response = api("communicator").post(action_url(statement, "publish"), {}, format="json")
    assert response.status_code == 409
    statement.refresh_from_db()
    assert statement.status == state
    assert statement.published_revision is None


def test_publish_of_severity_1_statement_needs_the_incident_lead_too(api, communicator, legal, team_lead):
    incident = IncidentFactory(severity=Severity.CRITICAL, lead=team_lead)
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    statement = make_statement(author=communicator, incident=incident)
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()

    approved = call(api("legal"), Action.APPROVE, statement)
    assert approved.status_code == 200
    assert approved.json()["missing_approvals"] == ["incident_lead"]
    assert api("communicator").post(action_url(statement, "publish"), {}, format="json").status_code == 409

    assert call(api("team_lead"), Action.APPROVE, statement).status_code == 200
    assert api("communicator").post(action_url(statement, "publish"), {}, format="json").status_code == 200


def test_edit_after_approval_voids_it_and_publish_is_409(api, build):
    statement = build(S.APPROVED)
    assert call(api("comms2"), Action.EDIT, statement).status_code == 200

    response = api("communicator").post(action_url(statement, "publish"), {}, format="json")

    assert response.status_code == 409
    body = api("communicator").get(detail_url(statement)).json()
    assert body["status"] == S.DRAFT
    assert body["approvals"] == []
    assert body["missing_approvals"] == ["legal"]


def test_approve_of_a_stale_revision_is_409(api, build, communicator):
    statement = build(S.IN_REVIEW)
    read_by_legal = statement.current_revision.number
    statement_update(actor=communicator, statement=statement, body="Rewritten while legal was reading.")
    review.review_submit(actor=communicator, item=statement)

    response = api("legal").post(action_url(statement, "approve"), {"revision": read_by_legal}, format="json")

    assert response.status_code == 409
    assert not ReviewDecision.objects.filter(decision="approve").exists()
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


def test_publish_naming_an_older_revision_is_409(api, incident, communicator, legal):
    statement = make_statement(author=communicator, incident=incident)
    statement = statement_update(actor=communicator, statement=statement, body="Second words.")
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)

    stale = api("comms2").post(action_url(statement, "publish"), {"revision": 1}, format="json")
    unknown = api("comms2").post(action_url(statement, "publish"), {"revision": 99}, format="json")

    assert stale.status_code == 409
    assert unknown.status_code == 400
    assert "revision" in unknown.json()
    statement.refresh_from_db()
    assert statement.status == S.APPROVED
    assert api("comms2").post(action_url(statement, "publish"), {"revision": 2}, format="json").status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "revision"), ({"revision": 0}, "revision"), ({"revision": 7}, "revision"), ({"revision": "x"}, "revision")],
)
def test_approve_needs_the_revision_read(api, build, payload, field):
    statement = build(S.IN_REVIEW)
    response = api("legal").post(action_url(statement, "approve"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


@pytest.mark.parametrize(("action", "field"), [("request-changes", "comment"), ("reject", "comment")])
def test_review_decisions_against_need_a_comment(api, build, action, field):
    statement = build(S.IN_REVIEW)
    response = api("legal").post(action_url(statement, action), {"comment": ""}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_withdraw_needs_a_reason(api, build):
    statement = build(S.PUBLISHED)
    response = api("team_lead").post(action_url(statement, "withdraw"), {"reason": ""}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()


def test_superuser_is_not_a_reviewer(api, build, admin_user):
    statement = build(S.IN_REVIEW)
    response = call(api(admin_user), Action.APPROVE, statement)
    assert response.status_code == 403
    assert "approve" not in api(admin_user).get(detail_url(statement)).json()["available_actions"]


def test_author_holding_the_legal_role_cannot_approve(api, incident):
    author = UserFactory(username="comms-and-legal", role=LEGAL)
    author.groups.add(UserFactory(username="c", role=COMMUNICATOR).groups.get())
    statement = make_statement(author=author, incident=incident)
    review.review_submit(actor=author, item=statement)
    statement.refresh_from_db()

    response = call(api(author), Action.APPROVE, statement)

    assert response.status_code == 403
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


# --- create and edit ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("communicator", 201),
        ("comms2", 201),
        ("team_lead", 201),
        ("lead2", 201),
        ("legal", 403),
        ("observer", 403),
        ("outsider", 403),
    ],
)
def test_create_access(api, incident, persona, expected):
    payload = {"incident": incident.reference, "title": "We are on it", "body": "Looking into it.", "channels": ["x"]}
    response = api(persona).post(reverse("api:statement-list"), payload, format="json")
    assert response.status_code == expected, response.content
    assert Statement.objects.count() == (1 if expected == 201 else 0)
    if expected == 201:
        body = response.json()
        assert body["status"] == S.DRAFT
        assert body["current_revision"]["number"] == 1
        assert body["incident"] == incident.reference
        assert AuditEvent.objects.get().ip_address == "127.0.0.1"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "No channel", "body": "Text."}, "channels"),
        ({"title": "Empty channels", "body": "Text.", "channels": []}, "channels"),
        ({"title": "Bad channel", "body": "Text.", "channels": ["myspace"]}, "channels"),
        ({"body": "No title.", "channels": ["x"]}, "title"),
        ({"title": "No body", "channels": ["x"]}, "body"),
        ({"title": "T", "body": "B", "channels": ["x"], "language": "de"}, "language"),
    ],
)
def test_create_reports_field_errors(api, incident, payload, field):
    response = api("communicator").post(
        reverse("api:statement-list"), {"incident": incident.reference, **payload}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Statement.objects.exists()


def test_create_citing_a_fact_of_another_incident_is_400(api, incident):
    other = FactFactory(incident=IncidentFactory())
    payload = {"incident": incident.reference, "title": "T", "body": "B", "channels": ["x"], "facts": [other.pk]}
    response = api("communicator").post(reverse("api:statement-list"), payload, format="json")
    assert response.status_code == 400
    assert "facts" in response.json()


def test_create_on_a_confidential_incident_looks_like_a_missing_one(api, confidential_incident):
    payload = {"incident": confidential_incident.reference, "title": "T", "body": "B", "channels": ["x"]}
    response = api("communicator").post(reverse("api:statement-list"), payload, format="json")
    assert response.status_code == 400
    assert "incident" in response.json()
    assert not Statement.objects.exists()


def test_verbatim_key_message_is_pre_approved_and_publishable(api, incident, communicator, legal):
    key_message = approved_key_message(author=communicator, reviewer=legal)
    payload = {"incident": incident.reference, "from_key_message": key_message.pk, "channels": ["x", "website"]}

    created = api("comms2").post(reverse("api:statement-list"), payload, format="json")

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == S.APPROVED
    assert body["body"] == HOLDING_TEXT
    assert [a["inherited"] for a in body["approvals"]] == [True]
    statement = Statement.objects.get()
    assert api("comms2").post(action_url(statement, "publish"), {}, format="json").status_code == 200


def _expired(key_message):
    # valid_until is reviewed content: a past date set through the service would send it back to
    # draft, so the clock is what moves here, as it does in real life.
    type(key_message).objects.filter(pk=key_message.pk).update(valid_until=date(2020, 1, 1))
    return key_message


def _retired(key_message, legal):
    review.review_withdraw(actor=legal, item=key_message, reason="Superseded.")
    return key_message


@pytest.mark.parametrize("state", ["expired", "retired", "draft", "in_review"])
def test_an_unusable_key_message_is_refused_as_a_source_naming_the_field(api, incident, communicator, legal, state):
    """One rule (KeyMessage.is_usable) for browser, API and admin: only approved and unexpired key messages."""
    if state == "draft":
        key_message = make_key_message(author=communicator)
    elif state == "in_review":
        key_message = make_key_message(author=communicator)
        review.review_submit(actor=communicator, item=key_message)
    else:
        key_message = approved_key_message(author=communicator, reviewer=legal)
        key_message = _expired(key_message) if state == "expired" else _retired(key_message, legal)
    payload = {"incident": incident.reference, "from_key_message": key_message.pk, "channels": ["x", "website"]}

    response = api("comms2").post(reverse("api:statement-list"), payload, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["from_key_message"]
    assert "approved key message" in response.json()["from_key_message"][0]
    assert not Statement.objects.exists()


def test_a_key_message_the_user_may_not_read_looks_like_a_missing_one(api, incident, communicator, legal):
    key_message = approved_key_message(author=communicator, reviewer=legal)
    hidden = api("outsider").post(
        reverse("api:statement-list"),
        {"incident": incident.reference, "from_key_message": key_message.pk, "channels": ["x"]},
        format="json",
    )
    missing = api("outsider").post(
        reverse("api:statement-list"),
        {"incident": incident.reference, "from_key_message": 987654, "channels": ["x"]},
        format="json",
    )
    assert hidden.status_code == missing.status_code


def test_one_changed_character_needs_a_fresh_review(api, incident, communicator, legal):
    key_message = approved_key_message(author=communicator, reviewer=legal)
    payload = {
        "incident": incident.reference,
        "from_key_message": key_message.pk,
        "body": HOLDING_TEXT + "!",
        "channels": ["x"],
    }
    response = api("comms2").post(reverse("api:statement-list"), payload, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == S.DRAFT
    assert response.json()["approvals"] == []


def test_patch_makes_a_new_revision_with_the_comment(api, build):
    statement = build(S.DRAFT)
    response = api("comms2").patch(
        detail_url(statement), {"title": "Clearer title", "comment": "Shorter."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Clearer title"
    assert response.json()["current_revision"]["number"] == 2
    edit = statement.audit_events().filter(action=Action.EDIT).get()
    assert edit.comment == "Shorter."
    assert edit.ip_address == "127.0.0.1"


@pytest.mark.parametrize("field", ["status", "published_revision", "incident", "created_by", "published_at"])
def test_patch_never_changes_workflow_fields(api, build, field):
    statement = build(S.APPROVED)
    response = api("communicator").patch(detail_url(statement), {field: "published"}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    statement.refresh_from_db()
    assert statement.status == S.APPROVED
    assert statement.published_revision is None


def test_patch_with_status_points_to_the_actions(api, build):
    statement = build(S.APPROVED)
    response = api("communicator").patch(detail_url(statement), {"status": "published"}, format="json")
    assert response.status_code == 400
    assert "publish/" in response.json()["status"][0]


def test_put_and_delete_are_not_offered(api, build):
    statement = build(S.DRAFT)
    client = api("team_lead")
    assert client.put(detail_url(statement), {}, format="json").status_code == 405
    assert client.delete(detail_url(statement)).status_code == 405
    assert Statement.objects.filter(pk=statement.pk).exists()


# --- reading ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [(p, 200) for p in ["communicator", "comms2", "legal", "team_lead", "lead2", "observer"]] + [("outsider", 403)],
)
def test_list_access(api, build, persona, expected):
    statement = build(S.DRAFT)
    response = api(persona).get(reverse("api:statement-list"))
    assert response.status_code == expected
    if expected == 200:
        assert [row["id"] for row in response.json()["results"]] == [statement.pk]


def test_detail_shows_text_copy_revision_approvals_and_actions(api, build, legal):
    statement = build(S.APPROVED, body="We **apologise**.", body_format="markdown", channels=["x", "website"])

    body = api("communicator").get(detail_url(statement)).json()

    assert body["rendered_html"].endswith("<p>We <strong>apologise</strong>.</p>")
    assert {row["channel"]: (row["text"], row["limit"]) for row in body["channel_texts"]} == {
        "x": ("We apologise.", 280),
        "website": (f"{statement.title}\n\nWe apologise.", None),
    }
    assert body["current_revision"]["content_hash"] == statement.current_revision.content_hash
    assert [(a["reviewer"]["username"], a["role"]) for a in body["approvals"]] == [(legal.username, "legal")]
    assert body["missing_approvals"] == []
    assert body["available_actions"] == ["edit", "publish"]
    assert api("legal").get(detail_url(statement)).json()["available_actions"] == ["withdraw"]
    assert api("observer").get(detail_url(statement)).json()["available_actions"] == []


def test_revisions_and_audit_lists(api, build, communicator):
    statement = build(S.IN_REVIEW)
    api("comms2").patch(detail_url(statement), {"body": "Second words."}, format="json")

    revisions = api("observer").get(action_url(statement, "revisions"))
    audit = api("observer").get(action_url(statement, "audit"))

    assert revisions.status_code == 200
    assert [r["number"] for r in revisions.json()] == [2, 1]
    assert revisions.json()[0]["content"]["body"] == "Second words."
    assert revisions.json()[0]["created_by"]["username"] == "comms2"
    assert audit.status_code == 200
    assert [e["action"] for e in audit.json()] == ["edit", "submit", "create"]
    assert audit.json()[0]["from_state"] == S.IN_REVIEW
    assert audit.json()[0]["to_state"] == S.DRAFT
    assert audit.json()[0]["ip_address"] == "127.0.0.1"
    assert api("outsider").get(action_url(statement, "audit")).status_code == 404


def test_record_url_lists_the_publication(api, build):
    statement = build(S.PUBLISHED)
    response = call(api("comms2"), Action.RECORD_URL, statement)
    assert response.status_code == 201
    assert response.json()["url"] == "https://x.example/1"
    detail = api("observer").get(detail_url(statement)).json()
    assert [(p["channel"], p["url"]) for p in detail["publications"]] == [("x", "https://x.example/1")]
    assert StatementPublication.objects.count() == 1


def test_record_url_for_a_channel_not_chosen_is_400(api, build):
    statement = build(S.PUBLISHED, channels=["website"])
    response = api("team_lead").post(
        action_url(statement, "urls"), {"channel": "x", "url": "https://x.example/2"}, format="json"
    )
    assert response.status_code == 400
    assert "channel" in response.json()


def test_list_filters(api, incident, communicator):
    other_incident = IncidentFactory(reference="CD-2026-0100")
    x_fr = make_statement(author=communicator, incident=incident, channels=["x"], language="fr", title="Communiqué")
    web = make_statement(author=communicator, incident=other_incident, channels=["website"], title="Web")
    review.review_submit(actor=communicator, item=web)
    client = api("observer")

    def ids(**params):
        return {row["id"] for row in client.get(reverse("api:statement-list"), params).json()["results"]}

    assert ids(incident=incident.reference) == {x_fr.pk}
    assert ids(status="in_review") == {web.pk}
    assert ids(language="fr") == {x_fr.pk}
    assert ids(channel="x") == {x_fr.pk}
    assert ids(channel="website") == {web.pk}
    assert ids(q="communi") == {x_fr.pk}
    assert client.get(reverse("api:statement-list"), {"channel": "myspace"}).status_code == 400


# --- confidentiality --------------------------------------------------------------------------------------


@pytest.fixture
def confidential_statement(confidential_incident, team_lead, legal):
    """A statement in review on a confidential incident whose only member is the team lead."""
    statement = make_statement(author=team_lead, incident=confidential_incident)
    review.review_submit(actor=team_lead, item=statement)
    statement.refresh_from_db()
    return statement


@pytest.mark.parametrize("persona", ["communicator", "comms2", "legal", "lead2", "observer", "outsider"])
def test_confidential_statement_is_404_for_non_members(api, confidential_statement, persona):
    client = api(persona)
    assert client.get(detail_url(confidential_statement)).status_code == 404
    assert client.get(action_url(confidential_statement, "revisions")).status_code == 404
    assert client.get(action_url(confidential_statement, "audit")).status_code == 404
    assert call(client, Action.APPROVE, confidential_statement).status_code == 404
    assert call(client, Action.EDIT, confidential_statement).status_code == 404
    listed = client.get(reverse("api:statement-list"))
    assert listed.status_code == (403 if persona == "outsider" else 200)
    if listed.status_code == 200:
        assert listed.json()["results"] == []
        assert client.get(reverse("api:reviewdecision-list")).json()["results"] == []
        assert client.get(reverse("api:review-queue-list")).json() == []
    confidential_statement.refresh_from_db()
    assert confidential_statement.status == S.IN_REVIEW


def test_confidential_statement_is_visible_to_members(api, confidential_statement, confidential_incident, legal):
    assert api("team_lead").get(detail_url(confidential_statement)).status_code == 200
    MembershipFactory(incident=confidential_incident, user=legal, role=role("legal"))
    assert [row["item_id"] for row in api("legal").get(reverse("api:review-queue-list")).json()] == [
        confidential_statement.pk
    ]
    assert call(api("legal"), Action.APPROVE, confidential_statement).status_code == 200


# --- reviews and the review queue -------------------------------------------------------------------------


def test_review_queue_lists_what_waits_for_me_oldest_first(api, incident, communicator, legal, team_lead):
    first = make_statement(author=communicator, incident=incident, title="First")
    second = make_statement(author=communicator, incident=incident, title="Second")
    draft = make_statement(author=communicator, incident=incident, title="Still a draft")
    review.review_submit(actor=communicator, item=first)
    review.review_submit(actor=communicator, item=second)

    queue = api("legal").get(reverse("api:review-queue-list"))

    assert queue.status_code == 200
    rows = queue.json()
    assert [row["title"] for row in rows] == ["First", "Second"]
    assert rows[0]["item_type"] == "incidents.statement"
    assert rows[0]["incident"] == incident.reference
    assert rows[0]["role"] == "legal"
    assert rows[0]["revision"] == 1
    assert rows[0]["waiting_seconds"] >= 0
    assert rows[0]["item_url"].endswith(detail_url(first))
    assert draft.pk not in [row["item_id"] for row in rows]
    # Nothing waits for those who cannot approve, nor for an author.
    assert api("communicator").get(reverse("api:review-queue-list")).json() == []
    assert api("team_lead").get(reverse("api:review-queue-list")).json() == []
    # Decided: gone from the queue.
    call(api("legal"), Action.APPROVE, Statement.objects.get(pk=first.pk))
    assert [row["title"] for row in api("legal").get(reverse("api:review-queue-list")).json()] == ["Second"]


def test_review_queue_offers_severity_1_statements_to_the_incident_lead(api, communicator, legal, team_lead):
    incident = IncidentFactory(severity=Severity.CRITICAL, lead=team_lead)
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    statement = make_statement(author=communicator, incident=incident)
    review.review_submit(actor=communicator, item=statement)

    assert [row["role"] for row in api("team_lead").get(reverse("api:review-queue-list")).json()] == ["incident_lead"]
    assert [row["role"] for row in api("legal").get(reverse("api:review-queue-list")).json()] == ["legal"]
    assert api("lead2").get(reverse("api:review-queue-list")).json() == []


@pytest.mark.parametrize(
    ("persona", "expected"),
    [(p, 200) for p in ["communicator", "comms2", "legal", "team_lead", "lead2", "observer"]] + [("outsider", 403)],
)
def test_reviews_and_queue_access(api, build, persona, expected):
    build(S.APPROVED)
    client = api(persona)
    reviews = client.get(reverse("api:reviewdecision-list"))
    assert reviews.status_code == expected
    assert client.get(reverse("api:review-queue-list")).status_code == expected
    if expected == 200:
        rows = reviews.json()["results"]
        assert [(row["decision"], row["role"], row["revision"]) for row in rows] == [("approve", "legal", 1)]
        assert client.get(reverse("api:reviewdecision-detail", kwargs={"pk": rows[0]["id"]})).status_code == 200


def test_reviews_are_read_only(api, build):
    build(S.APPROVED)
    decision = ReviewDecision.objects.get()
    client = api("legal")
    url = reverse("api:reviewdecision-detail", kwargs={"pk": decision.pk})
    assert client.post(reverse("api:reviewdecision-list"), {}, format="json").status_code == 405
    assert client.patch(url, {"comment": "x"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405


# --- safe HTML --------------------------------------------------------------------------------------------


class _LiveElements(HTMLParser):
    """The elements and attributes a browser would build (escaped text is not an element)."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def assert_no_live_payload(html: str) -> None:
    parser = _LiveElements()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in ("script", "img", "svg", "iframe"), (tag, html)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, html)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, value, html)


@pytest.mark.parametrize("payload", XSS_CORPUS)
@pytest.mark.parametrize("body_format", ["plain", "markdown"])
def test_rendered_html_has_no_live_payload(api, incident, payload, body_format):
    response = api("communicator").post(
        reverse("api:statement-list"),
        {
            "incident": incident.reference,
            "title": f"Title {payload}",
            "body": f"Body {payload}\n\n{payload}",
            "body_format": body_format,
            "channels": ["x"],
        },
        format="json",
    )
    assert response.status_code == 201
    html = response.json()["rendered_html"]
    assert_no_live_payload(html)
    assert "Title" in html
    assert "Body" in html
    # The JSON keeps what was typed (a client must escape it), the HTML never runs it.
    assert response.json()["title"] == f"Title {payload}"


# --- query counts -----------------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_is_flat(api, incident, communicator):
    client = api("observer")
    url = reverse("api:statement-list")
    make_statement(author=communicator, incident=incident)
    one = _count_queries(client, url)
    for n in range(49):
        author = UserFactory(username=f"author{n}", role=COMMUNICATOR)
        make_statement(author=author, incident=IncidentFactory(), title=f"Statement {n}")
    fifty = _count_queries(client, url)
    assert len(client.get(url).json()["results"]) == 50
    assert fifty == one


# --- schema -----------------------------------------------------------------------------------------------


def test_schema_documents_every_statement_key_message_and_review_endpoint(tmp_path):
    target = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    for kind, actions in [
        ("statements", ["submit", "approve", "request-changes", "reject", "publish", "withdraw", "urls"]),
        ("key-messages", ["submit", "approve", "request-changes", "reject", "withdraw"]),
    ]:
        assert f"/api/v1/{kind}/" in paths
        for name in actions:
            operation = paths[f"/api/v1/{kind}/{{id}}/{name}/"]["post"]
            assert {"400", "403", "404", "409"} <= set(operation["responses"]), (kind, name)
        assert "get" in paths[f"/api/v1/{kind}/{{id}}/revisions/"]
        assert "get" in paths[f"/api/v1/{kind}/{{id}}/audit/"]
    assert "/api/v1/key-messages/{id}/publish/" not in paths
    assert "/api/v1/reviews/" in paths
    assert "/api/v1/review-queue/" in paths
    params = {p["name"] for p in paths["/api/v1/statements/"]["get"]["parameters"]}
    assert {"incident", "status", "language", "channel", "cursor"} <= params
