"""Key messages through the review engine, and verbatim reuse by statements (pre-approval)."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review import services as review
from crisisdesk.review.models import Action, ReviewStatus
from crisisdesk.review.tests.helpers import approved_key_message, make_key_message, make_statement
from crisisdesk.roles import COMMUNICATOR, LEGAL
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, UserFactory, role
from incidents.models import Severity
from incidents.statements.models import Statement
from incidents.statements.services import statement_update
from playbooks.keymessages.models import KeyMessage
from playbooks.keymessages.services import keymessage_update

pytestmark = pytest.mark.django_db

S = ReviewStatus


@pytest.fixture
def key_message(team_lead, legal):
    return approved_key_message(author=team_lead, reviewer=legal)


# --- the key message's own workflow ---------------------------------------------------------------


def test_key_message_lifecycle(team_lead, legal):
    key_message = make_key_message(author=team_lead)
    assert key_message.status == S.DRAFT
    review.review_submit(actor=team_lead, item=key_message)
    key_message.refresh_from_db()
    review.review_approve(actor=legal, item=key_message, revision=key_message.current_revision)
    key_message.refresh_from_db()
    assert key_message.status == S.APPROVED
    assert KeyMessage.objects.usable().get() == key_message

    with pytest.raises(InvalidTransition):
        review.review_publish(actor=team_lead, item=key_message)
    review.review_withdraw(actor=team_lead, item=key_message, reason="Recall is over.")
    key_message.refresh_from_db()
    assert key_message.status == S.WITHDRAWN
    assert not KeyMessage.objects.usable().exists()


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        (Action.SUBMIT, {"communicator", "team_lead"}),
        (Action.APPROVE, {"legal"}),
        (Action.WITHDRAW, {"legal", "team_lead"}),
    ],
)
def test_key_message_permissions_per_persona(personas, legal, action, allowed):
    author = UserFactory(username="comms2", role=COMMUNICATOR)
    for name, user in personas.items():
        key_message = make_key_message(author=author, title=f"{action} by {name}")
        if action != Action.SUBMIT:
            review.review_submit(actor=author, item=key_message)
        if action == Action.WITHDRAW:
            key_message.refresh_from_db()
            review.review_approve(actor=legal, item=key_message, revision=key_message.current_revision)
        key_message.refresh_from_db()
        before = key_message.status
        call = {
            Action.SUBMIT: lambda u, k: review.review_submit(actor=u, item=k),
            Action.APPROVE: lambda u, k: review.review_approve(actor=u, item=k, revision=k.current_revision),
            Action.WITHDRAW: lambda u, k: review.review_withdraw(actor=u, item=k, reason="Old."),
        }[action]
        if name in allowed:
            call(user, key_message)
            key_message.refresh_from_db()
            assert key_message.status != before, name
        else:
            with pytest.raises(PermissionDenied):
                call(user, key_message)
            key_message.refresh_from_db()
            assert key_message.status == before, name


@pytest.mark.parametrize("persona", ["legal", "observer", "outsider"])
def test_only_drafting_roles_create_key_messages(personas, persona):
    with pytest.raises(PermissionDenied):
        make_key_message(author=personas[persona])
    assert not KeyMessage.objects.exists()


def test_extending_validity_is_an_edit_that_needs_review(key_message, team_lead):
    key_message = keymessage_update(
        actor=team_lead, key_message=key_message, valid_until=timezone.localdate() + timedelta(days=30)
    )
    assert key_message.status == S.DRAFT


def test_moving_the_review_date_is_housekeeping(key_message, team_lead):
    key_message = keymessage_update(actor=team_lead, key_message=key_message, review_due=timezone.localdate())
    assert key_message.status == S.APPROVED
    assert key_message.revisions().count() == 1


# --- verbatim reuse -------------------------------------------------------------------------------


def test_verbatim_key_message_publishes_without_a_new_review(key_message, incident, communicator, legal):
    statement = make_statement(
        author=communicator, incident=incident, from_key_message=key_message, title=None, body=None
    )

    assert statement.status == S.APPROVED
    assert statement.current_revision.text_hash == key_message.current_revision.text_hash
    decision = statement.decisions().get()
    assert decision.based_on == key_message.decisions().get()
    assert decision.reviewer == legal
    assert decision.content_hash == statement.current_revision.content_hash
    assert [e.action for e in statement.audit_events().order_by("id")] == ["create", "pre_approve"]

    review.review_publish(actor=communicator, item=statement)
    statement.refresh_from_db()
    assert statement.status == S.PUBLISHED


def test_crlf_from_a_browser_is_still_verbatim(key_message, incident, communicator):
    statement = make_statement(
        author=communicator,
        incident=incident,
        from_key_message=key_message,
        title=key_message.title,
        body=key_message.body.replace("\n", "\r\n"),
    )
    assert statement.status == S.APPROVED


def test_one_changed_character_needs_a_fresh_review(key_message, incident, communicator):
    statement = make_statement(
        author=communicator, incident=incident, from_key_message=key_message, title=None, body=key_message.body + "."
    )
    assert statement.status == S.DRAFT
    assert not statement.decisions().exists()
    with pytest.raises(InvalidTransition):
        review.review_publish(actor=communicator, item=statement)


def test_editing_a_pre_approved_statement_drops_the_pre_approval(key_message, incident, communicator):
    statement = make_statement(
        author=communicator, incident=incident, from_key_message=key_message, title=None, body=None
    )
    statement = statement_update(
        actor=communicator, statement=statement, body=statement.body.replace("priority", "care")
    )
    assert statement.status == S.DRAFT
    assert [r.code for r in review.missing_requirements(statement)] == ["legal"]


def test_changing_channels_keeps_the_pre_approval_of_the_words(key_message, incident, communicator):
    statement = make_statement(
        author=communicator, incident=incident, from_key_message=key_message, title=None, body=None
    )
    statement = statement_update(actor=communicator, statement=statement, channels=["facebook"])
    assert statement.current_revision.number == 2
    assert statement.status == S.APPROVED


def test_expired_key_message_cannot_be_a_source(team_lead, legal, incident, communicator):
    """Issue 11: one usability rule for browser, API and admin; an expired source used to become an
    unapproved draft through the service while the browser refused it. Now the service refuses it."""
    key_message = approved_key_message(
        author=team_lead, reviewer=legal, valid_until=timezone.localdate() + timedelta(days=1)
    )
    with time_machine.travel(timezone.now() + timedelta(days=3)), pytest.raises(ValidationError) as refused:
        make_statement(author=communicator, incident=incident, from_key_message=key_message, title=None, body=None)
    assert list(refused.value.message_dict) == ["from_key_message"]
    assert not Statement.objects.exists()


def test_key_message_expiring_before_publish_blocks_it(team_lead, legal, incident, communicator):
    key_message = approved_key_message(
        author=team_lead, reviewer=legal, valid_until=timezone.localdate() + timedelta(days=1)
    )
    statement = make_statement(
        author=communicator, incident=incident, from_key_message=key_message, title=None, body=None
    )
    assert statement.status == S.APPROVED
    with time_machine.travel(timezone.now() + timedelta(days=3)), pytest.raises(InvalidTransition):
        review.review_publish(actor=communicator, item=statement)


def test_key_message_edited_after_reuse_voids_the_inherited_approval(key_message, incident, communicator, team_lead):
    statement = make_statement(
        author=communicator, incident=incident, from_key_message=key_message, title=None, body=None
    )
    keymessage_update(actor=team_lead, key_message=key_message, body="A different line.")

    with pytest.raises(InvalidTransition, match="Legal"):
        review.review_publish(actor=communicator, item=statement)
    statement.refresh_from_db()
    assert statement.status == S.APPROVED
    assert "publish" not in review.available_actions(user=communicator, item=statement)


def test_unapproved_key_message_cannot_be_used(team_lead, incident, communicator):
    draft = make_key_message(author=team_lead)
    with pytest.raises(ValidationError):
        make_statement(author=communicator, incident=incident, from_key_message=draft, title=None, body=None)


def test_severity_1_reuse_still_needs_the_incident_lead(key_message, communicator, team_lead):
    lead = UserFactory(username="lead2", role=COMMUNICATOR)
    critical = IncidentFactory(severity=Severity.CRITICAL, lead=lead)
    MembershipFactory(incident=critical, user=lead, role=role("lead"))
    statement = make_statement(
        author=communicator, incident=critical, from_key_message=key_message, title=None, body=None
    )
    # Legal's approval is inherited; the lead's is still missing, so it went straight to the lead.
    assert statement.status == S.IN_REVIEW
    assert [r.code for r in review.missing_requirements(statement)] == ["incident_lead"]

    review.review_approve(actor=lead, item=statement, revision=statement.current_revision)
    statement.refresh_from_db()
    assert statement.status == S.APPROVED


def test_the_key_message_approver_cannot_pre_approve_their_own_statement(key_message, incident, legal):
    legal.groups.add(UserFactory(username="c", role=COMMUNICATOR).groups.get())
    assert legal.groups.filter(name=LEGAL).exists()
    legal = type(legal).objects.get(pk=legal.pk)  # drop the cached permissions
    statement = make_statement(author=legal, incident=incident, from_key_message=key_message, title=None, body=None)
    assert statement.status == S.DRAFT
    assert not statement.decisions().exists()


@pytest.mark.parametrize(
    ("persona", "sees"),
    [("communicator", True), ("legal", True), ("team_lead", True), ("observer", True), ("outsider", False)],
)
def test_visible_to_follows_the_view_permission(personas, key_message, persona, sees):
    assert list(KeyMessage.objects.visible_to(personas[persona])) == ([key_message] if sees else [])


def test_visible_to_hides_everything_from_anonymous_and_inactive_users(key_message, observer):
    from django.contrib.auth.models import AnonymousUser

    assert not KeyMessage.objects.visible_to(AnonymousUser()).exists()
    assert not KeyMessage.objects.visible_to(None).exists()
    observer.is_active = False
    assert not KeyMessage.objects.visible_to(observer).exists()
