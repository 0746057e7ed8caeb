"""Key message API: every transition for every persona, 403/404/409/400, safe HTML, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from crisisdesk.review import services as review
from crisisdesk.review.models import Action, AuditEvent, ReviewDecision, ReviewStatus
from crisisdesk.review.tests.helpers import make_key_message
from crisisdesk.roles import COMMUNICATOR, LEGAL
from crisisdesk.testing.factories import UserFactory
from incidents.statements.tests.test_api import XSS_CORPUS, assert_no_live_payload
from playbooks.keymessages.models import KeyMessage
from playbooks.keymessages.services import keymessage_update

pytestmark = pytest.mark.django_db

S = ReviewStatus
PERSONAS = ["communicator", "comms2", "legal", "team_lead", "lead2", "observer", "outsider"]


def key_message_in(status: str, *, author, reviewer, retirer, **kwargs) -> KeyMessage:
    """A key message brought to ``status`` through the engine, as people would."""
    key_message = make_key_message(author=author, **kwargs)
    if status != S.DRAFT:
        review.review_submit(actor=author, item=key_message)
        key_message.refresh_from_db()
    if status == S.REJECTED:
        review.review_reject(actor=reviewer, item=key_message, comment="Never.")
    elif status in (S.APPROVED, S.WITHDRAWN):
        review.review_approve(actor=reviewer, item=key_message, revision=key_message.current_revision)
        if status == S.WITHDRAWN:
            review.review_withdraw(actor=retirer, item=key_message, reason="Out of date.")
    key_message.refresh_from_db()
    return key_message


@pytest.fixture
def build(communicator, legal, team_lead):
    def _build(status, **kwargs):
        return key_message_in(status, author=communicator, reviewer=legal, retirer=team_lead, **kwargs)

    return _build


def detail_url(key_message) -> str:
    return reverse("api:keymessage-detail", kwargs={"pk": key_message.pk})


def action_url(key_message, action: str) -> str:
    return reverse(f"api:keymessage-{action}", kwargs={"pk": key_message.pk})


def call(client, action: str, key_message):
    if action == Action.EDIT:
        return client.patch(detail_url(key_message), {"body": key_message.body + " Update."}, format="json")
    if action == Action.APPROVE:
        number = key_message.current_revision.number
        return client.post(action_url(key_message, "approve"), {"revision": number}, format="json")
    if action == Action.REQUEST_CHANGES:
        return client.post(action_url(key_message, "request-changes"), {"comment": "Shorter."}, format="json")
    if action == Action.REJECT:
        return client.post(action_url(key_message, "reject"), {"comment": "Not our line."}, format="json")
    if action == Action.WITHDRAW:
        return client.post(action_url(key_message, "withdraw"), {"reason": "Out of date."}, format="json")
    return client.post(action_url(key_message, action), {}, format="json")


ALLOWED = {
    Action.EDIT: {"communicator", "comms2", "team_lead", "lead2"},
    Action.SUBMIT: {"communicator", "comms2", "team_lead", "lead2"},
    Action.APPROVE: {"legal"},
    Action.REQUEST_CHANGES: {"legal"},
    Action.REJECT: {"legal"},
    Action.WITHDRAW: {"legal", "team_lead", "lead2"},
}
FROM_STATE = {
    Action.EDIT: S.APPROVED,
    Action.SUBMIT: S.DRAFT,
    Action.APPROVE: S.IN_REVIEW,
    Action.REQUEST_CHANGES: S.IN_REVIEW,
    Action.REJECT: S.IN_REVIEW,
    Action.WITHDRAW: S.APPROVED,
}
EXPECTED_STATE = {
    Action.EDIT: S.DRAFT,
    Action.SUBMIT: S.IN_REVIEW,
    Action.APPROVE: S.APPROVED,
    Action.REQUEST_CHANGES: S.DRAFT,
    Action.REJECT: S.REJECTED,
    Action.WITHDRAW: S.WITHDRAWN,
}
# A key message is never published, so that state cannot be built.
KEY_MESSAGE_STATES = [state for state in S.values if state != S.PUBLISHED]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(ALLOWED))
def test_every_action_for_every_persona(api, build, action, persona):
    key_message = build(FROM_STATE[action])
    events_before = AuditEvent.objects.count()

    response = call(api(persona), action, key_message)

    key_message.refresh_from_db()
    if persona in ALLOWED[action]:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == EXPECTED_STATE[action]
        assert key_message.status == EXPECTED_STATE[action]
        assert AuditEvent.objects.count() > events_before
    else:
        assert response.status_code == (404 if persona == "outsider" else 403), response.content
        assert key_message.status == FROM_STATE[action]
        assert AuditEvent.objects.count() == events_before


FORBIDDEN = [
    (action, state) for action in ALLOWED for state in KEY_MESSAGE_STATES if state not in review.TRANSITIONS[action]
]


@pytest.mark.parametrize(("action", "state"), FORBIDDEN)
def test_every_forbidden_transition_is_409(api, build, action, state):
    key_message = build(state)
    reviewer = UserFactory(username="legal2", role=LEGAL)
    client = api(reviewer if action in (Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT) else "team_lead")
    events_before = AuditEvent.objects.count()

    response = call(client, action, key_message)

    assert response.status_code == 409, response.content
    key_message.refresh_from_db()
    assert key_message.status == state
    assert AuditEvent.objects.count() == events_before


def test_key_messages_cannot_be_published(api, build):
    key_message = build(S.APPROVED)
    with pytest.raises(NoReverseMatch):
        reverse("api:keymessage-publish", kwargs={"pk": key_message.pk})
    response = api("team_lead").post(detail_url(key_message) + "publish/", {}, format="json")
    assert response.status_code == 404
    assert "publish" not in api("team_lead").get(detail_url(key_message)).json()["available_actions"]


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
def test_create_access(api, persona, expected):
    payload = {"topic": "Recall", "title": "Holding line", "body": "We are investigating.", "kind": "line_to_take"}
    response = api(persona).post(reverse("api:keymessage-list"), payload, format="json")
    assert response.status_code == expected, response.content
    assert KeyMessage.objects.count() == (1 if expected == 201 else 0)
    if expected == 201:
        assert response.json()["status"] == S.DRAFT
        assert response.json()["kind"] == "line_to_take"
        assert response.json()["current_revision"]["number"] == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "T", "body": "B"}, "topic"),
        ({"topic": "T", "body": "B"}, "title"),
        ({"topic": "T", "title": "T"}, "body"),
        ({"topic": "T", "title": "T", "body": "B", "kind": "poem"}, "kind"),
        ({"topic": "T", "title": "T", "body": "B", "valid_until": "someday"}, "valid_until"),
    ],
)
def test_create_reports_field_errors(api, payload, field):
    response = api("communicator").post(reverse("api:keymessage-list"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [(p, 200) for p in ["communicator", "comms2", "legal", "team_lead", "lead2", "observer"]] + [("outsider", 403)],
)
def test_list_and_retrieve_access(api, build, persona, expected):
    key_message = build(S.APPROVED)
    response = api(persona).get(reverse("api:keymessage-list"))
    assert response.status_code == expected
    detail = api(persona).get(detail_url(key_message))
    assert detail.status_code == (200 if expected == 200 else 404)
    if expected == 200:
        assert [row["id"] for row in response.json()["results"]] == [key_message.pk]
        assert detail.json()["usable"] is True


def test_patch_with_status_is_400_pointing_to_the_actions(api, build):
    key_message = build(S.APPROVED)
    response = api("communicator").patch(detail_url(key_message), {"status": "draft"}, format="json")
    assert response.status_code == 400
    assert "withdraw/" in response.json()["status"][0]
    key_message.refresh_from_db()
    assert key_message.status == S.APPROVED


def test_edit_voids_the_approval(api, build):
    key_message = build(S.APPROVED)
    response = api("comms2").patch(detail_url(key_message), {"valid_until": "2099-01-01"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == S.DRAFT
    assert response.json()["approvals"] == []
    assert response.json()["current_revision"]["number"] == 2


def test_approve_of_a_stale_revision_is_409(api, build, communicator):
    key_message = build(S.IN_REVIEW)
    keymessage_update(actor=communicator, key_message=key_message, body="New words.")
    review.review_submit(actor=communicator, item=key_message)

    response = api("legal").post(action_url(key_message, "approve"), {"revision": 1}, format="json")

    assert response.status_code == 409
    assert not ReviewDecision.objects.exists()


def test_author_cannot_approve_with_the_legal_role(api):
    author = UserFactory(username="comms-and-legal", role=LEGAL)
    author.groups.add(UserFactory(username="c", role=COMMUNICATOR).groups.get())
    key_message = make_key_message(author=author)
    review.review_submit(actor=author, item=key_message)
    key_message.refresh_from_db()

    assert call(api(author), Action.APPROVE, key_message).status_code == 403
    key_message.refresh_from_db()
    assert key_message.status == S.IN_REVIEW


def test_revisions_audit_and_queue(api, build):
    key_message = build(S.IN_REVIEW)
    assert [r["number"] for r in api("observer").get(action_url(key_message, "revisions")).json()] == [1]
    assert [e["action"] for e in api("observer").get(action_url(key_message, "audit")).json()] == ["submit", "create"]
    queue = api("legal").get(reverse("api:review-queue-list")).json()
    assert [(row["item_type"], row["item_id"], row["incident"]) for row in queue] == [
        ("playbooks.keymessage", key_message.pk, None)
    ]


def test_filters(api, build):
    approved = build(S.APPROVED, topic="Recall", language="fr")
    draft = build(S.DRAFT, topic="Outage", kind="qa")
    client = api("observer")

    def ids(**params):
        return {row["id"] for row in client.get(reverse("api:keymessage-list"), params).json()["results"]}

    assert ids(status="approved") == {approved.pk}
    assert ids(kind="qa") == {draft.pk}
    assert ids(language="fr") == {approved.pk}
    assert ids(usable="true") == {approved.pk}
    assert ids(usable="false") == {draft.pk}
    assert ids(q="outage") == {draft.pk}


@pytest.mark.parametrize("payload", XSS_CORPUS)
@pytest.mark.parametrize("body_format", ["plain", "markdown"])
def test_rendered_html_has_no_live_payload(api, payload, body_format):
    response = api("communicator").post(
        reverse("api:keymessage-list"),
        {"topic": "XSS", "title": f"Title {payload}", "body": f"Body {payload}", "body_format": body_format},
        format="json",
    )
    assert response.status_code == 201
    assert_no_live_payload(response.json()["rendered_html"])
    assert "Body" in response.json()["rendered_html"]


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_is_flat(api, communicator):
    client = api("observer")
    url = reverse("api:keymessage-list")
    make_key_message(author=communicator)
    one = _count_queries(client, url)
    for n in range(49):
        make_key_message(author=UserFactory(username=f"author{n}", role=COMMUNICATOR), title=f"Line {n}")
    fifty = _count_queries(client, url)
    assert len(client.get(url).json()["results"]) == 50
    assert fifty == one
