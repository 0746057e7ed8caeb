"""Key message admin: forms call the services, the workflow is the engine's actions, per persona; pages escape."""

import pytest
from django.contrib import admin as django_admin
from django.urls import reverse

from crisisdesk.review import services as review
from crisisdesk.review.models import Action, AuditEvent, ReviewDecision, ReviewStatus
from crisisdesk.review.tests.helpers import make_key_message
from crisisdesk.roles import COMMUNICATOR, LEGAL
from crisisdesk.testing.factories import UserFactory
from incidents.statements.models import Statement
from incidents.statements.tests.test_admin import assert_page_has_no_live_payload
from incidents.statements.tests.test_api import XSS_CORPUS
from incidents.tests.test_admin import change_form_data, change_url, messages_of
from playbooks.keymessages.models import KeyMessage
from playbooks.keymessages.services import keymessage_update
from playbooks.keymessages.tests.test_api import key_message_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(staff_people):
    return staff_people


S = ReviewStatus
PERSONAS = ["communicator", "comms2", "legal", "team_lead", "lead2", "observer", "outsider"]
CHANGELIST = "admin:playbooks_keymessage_changelist"


@pytest.fixture
def build(communicator, legal, team_lead, people):
    def _build(status, **kwargs):
        return key_message_in(status, author=communicator, reviewer=legal, retirer=team_lead, **kwargs)

    return _build


def run_action(client, action: str, key_message, *, comment: str = "Fine.", revision=None):
    data = {"action": f"{action}_items", "_selected_action": [key_message.pk]}
    if action in ("approve", "request_changes", "reject", "withdraw"):
        revision = revision or key_message.current_revision
        data.update({"apply": "1", "comment": comment, f"revision_{key_message.pk}": revision.pk})
    return client.post(reverse(CHANGELIST), data)


ALLOWED = {
    Action.SUBMIT: {"communicator", "comms2", "team_lead", "lead2"},
    Action.APPROVE: {"legal"},
    Action.REQUEST_CHANGES: {"legal"},
    Action.REJECT: {"legal"},
    Action.WITHDRAW: {"legal", "team_lead", "lead2"},
}
FROM_STATE = {
    Action.SUBMIT: S.DRAFT,
    Action.APPROVE: S.IN_REVIEW,
    Action.REQUEST_CHANGES: S.IN_REVIEW,
    Action.REJECT: S.IN_REVIEW,
    Action.WITHDRAW: S.APPROVED,
}
EXPECTED_STATE = {
    Action.SUBMIT: S.IN_REVIEW,
    Action.APPROVE: S.APPROVED,
    Action.REQUEST_CHANGES: S.DRAFT,
    Action.REJECT: S.REJECTED,
    Action.WITHDRAW: S.WITHDRAWN,
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(ALLOWED))
def test_every_admin_action_for_every_persona(admin_as, build, action, persona):
    key_message = build(FROM_STATE[action])
    events_before = AuditEvent.objects.count()

    response = run_action(admin_as(persona), action, key_message)

    key_message.refresh_from_db()
    if persona == "outsider":
        assert response.status_code == 403
        assert key_message.status == FROM_STATE[action]
    elif persona in ALLOWED[action]:
        assert response.status_code == 302
        assert key_message.status == EXPECTED_STATE[action], messages_of(response)
        assert AuditEvent.objects.count() > events_before
    else:
        assert response.status_code == 302
        assert key_message.status == FROM_STATE[action]
        assert AuditEvent.objects.count() == events_before
        assert [m for m in messages_of(response) if "may not" in m or "wrote" in m], messages_of(response)


KEY_MESSAGE_STATES = [state for state in S.values if state != S.PUBLISHED]
FORBIDDEN = [
    (action, state) for action in ALLOWED for state in KEY_MESSAGE_STATES if state not in review.TRANSITIONS[action]
]


@pytest.mark.parametrize(("action", "state"), FORBIDDEN)
def test_every_forbidden_transition_is_reported(admin_as, build, action, state):
    key_message = build(state)
    reviewer = UserFactory(username="legal2", role=LEGAL, is_staff=True)
    client = admin_as(reviewer if action in (Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT) else "team_lead")
    events_before = AuditEvent.objects.count()

    response = run_action(client, action, key_message)

    assert any("Not possible" in m for m in messages_of(response)), messages_of(response)
    key_message.refresh_from_db()
    assert key_message.status == state
    assert AuditEvent.objects.count() == events_before


def test_there_is_no_publish_action(client_for, admin_user, build):
    key_message = build(S.APPROVED)
    client = client_for(admin_user)
    page = client.get(reverse(CHANGELIST))
    assert "publish_items" not in page.content.decode()
    assert "approve_items" in page.content.decode()
    client.post(reverse(CHANGELIST), {"action": "publish_items", "_selected_action": [key_message.pk]})
    key_message.refresh_from_db()
    assert key_message.status == S.APPROVED


def test_admin_approve_by_the_author_is_refused(admin_as):
    author = UserFactory(username="comms-and-legal", role=LEGAL, is_staff=True)
    author.groups.add(UserFactory(username="c", role=COMMUNICATOR).groups.get())
    key_message = make_key_message(author=author)
    review.review_submit(actor=author, item=key_message)
    key_message.refresh_from_db()

    response = run_action(admin_as(author), "approve", key_message)

    assert any("someone else must approve" in m for m in messages_of(response)), messages_of(response)
    key_message.refresh_from_db()
    assert key_message.status == S.IN_REVIEW
    assert not ReviewDecision.objects.exists()


def test_admin_approve_of_a_stale_revision_is_refused(admin_as, build, communicator):
    key_message = build(S.IN_REVIEW)
    shown = key_message.current_revision
    keymessage_update(actor=communicator, key_message=key_message, body="New words.")
    review.review_submit(actor=communicator, item=key_message)
    key_message.refresh_from_db()

    response = run_action(admin_as("legal"), "approve", key_message, revision=shown)

    assert any("changed" in m for m in messages_of(response)), messages_of(response)
    key_message.refresh_from_db()
    assert key_message.status == S.IN_REVIEW


@pytest.mark.parametrize("state", [S.APPROVED, S.DRAFT])
def test_change_form_post_with_a_status_changes_no_status(admin_as, build, state):
    key_message = build(state)
    url = change_url(key_message)
    client = admin_as("team_lead")
    data = change_form_data(client, url)
    data.update({"status": "published", "published_revision": str(key_message.current_revision.pk)})

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    key_message.refresh_from_db()
    assert key_message.status == state
    assert key_message.published_revision is None
    assert key_message.revisions().count() == 1


def test_change_form_edit_goes_through_the_service_and_voids_the_approval(admin_as, build):
    key_message = build(S.APPROVED)
    url = change_url(key_message)
    client = admin_as("comms2")
    data = change_form_data(client, url)
    data.update({"title": "Sharper holding line", "status": "approved"})

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    key_message.refresh_from_db()
    assert key_message.title == "Sharper holding line"
    assert key_message.status == S.DRAFT
    assert key_message.current_revision.number == 2
    assert key_message.audit_events().filter(action=Action.EDIT, data__voided_approval=True).exists()


def test_add_form_drafts_through_the_service(admin_as, communicator):
    response = admin_as("communicator").post(
        reverse("admin:playbooks_keymessage_add"),
        {
            "kind": "holding_statement",
            "topic": "Data breach",
            "title": "We are investigating",
            "language": "en",
            "body": "We take this seriously.",
            "body_format": "plain",
            "valid_until": "",
            "review_due": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    key_message = KeyMessage.objects.get()
    assert key_message.status == S.DRAFT
    assert key_message.created_by == communicator
    assert key_message.audit_events().get().action == Action.CREATE
    assert admin_as("legal").get(reverse("admin:playbooks_keymessage_add")).status_code == 403


def test_key_messages_are_never_deleted(client_for, admin_user, build):
    key_message = build(S.DRAFT)
    url = reverse("admin:playbooks_keymessage_delete", args=[key_message.pk])
    assert client_for(admin_user).post(url, {"post": "yes"}).status_code == 403
    assert KeyMessage.objects.filter(pk=key_message.pk).exists()


def test_every_page_opens(client_for, admin_user, build):
    key_message = build(S.APPROVED)
    client = client_for(admin_user)
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert client.get(change_url(key_message)).status_code == 200
    assert client.get(reverse("admin:playbooks_keymessage_add")).status_code == 200


@pytest.mark.parametrize("payload", XSS_CORPUS)
@pytest.mark.parametrize("body_format", ["plain", "markdown"])
def test_admin_pages_escape_titles_and_bodies(client_for, admin_user, build, payload, body_format):
    key_message = build(S.IN_REVIEW, title=f"T {payload}", topic=f"Topic {payload}", body=f"B {payload}",
                        body_format=body_format)  # fmt: skip
    client = client_for(admin_user)
    pages = [
        client.get(reverse(CHANGELIST)),
        client.get(change_url(key_message)),
        client.post(reverse(CHANGELIST), {"action": "reject_items", "_selected_action": [key_message.pk]}),
    ]
    for page in pages:
        assert page.status_code == 200
        assert_page_has_no_live_payload(page.content.decode())
    assert "Topic &lt;" in pages[0].content.decode() or "Topic &quot;&gt;" in pages[0].content.decode()


def test_withdraw_action_reads_retire_for_key_messages(admin_as, build):
    key_message = build(S.APPROVED)
    client = admin_as("team_lead")
    changelist = client.get(reverse("admin:playbooks_keymessage_changelist")).content.decode()
    assert '<option value="withdraw_items">Retire</option>' in changelist
    confirm = client.post(
        reverse("admin:playbooks_keymessage_changelist"),
        {"action": "withdraw_items", "_selected_action": [key_message.pk]},
    )
    assert confirm.context["title"] == "Retire"
    assert confirm.context["submit_label"] == "Retire"
    done = client.post(
        reverse("admin:playbooks_keymessage_changelist"),
        {"action": "withdraw_items", "_selected_action": [key_message.pk], "apply": "1", "comment": "Out of date."},
    )
    assert messages_of(done) == [f"{key_message}: retired."]
    key_message.refresh_from_db()
    assert key_message.status == S.WITHDRAWN
    # Statements keep "Withdraw".
    statement_admin = django_admin.site._registry[Statement]
    assert str(statement_admin.get_actions(done.wsgi_request)["withdraw_items"][2]) == "Withdraw"
