"""``manage.py review`` and ``manage.py review_queue``: the same gate as every other interface."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from crisisdesk.review.management.commands._common import (
    EXIT_CONFLICT,
    EXIT_FORBIDDEN,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
)
from crisisdesk.review.models import Action, AuditEvent, ReviewDecision, ReviewStatus
from crisisdesk.roles import COMMUNICATOR, LEGAL
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, UserFactory, role
from incidents.models import Severity
from incidents.statements.models import Statement
from incidents.statements.services import statement_update
from playbooks.keymessages.models import KeyMessage

from .helpers import make_key_message, make_statement, second_legal

pytestmark = pytest.mark.django_db

S = ReviewStatus


def review(*args) -> str:
    out = StringIO()
    call_command("review", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def refused(*args) -> CommandError:
    with pytest.raises(CommandError) as info:
        review(*args)
    return info.value


def reload(item):
    item.refresh_from_db()
    return item


@pytest.fixture
def statement(incident, communicator):
    return make_statement(author=communicator, incident=incident)


def test_draft_to_published_through_the_command(statement, legal, communicator):
    assert "Draft → In review" in review("submit", "statement", statement.pk, "--as", "comms", "--comment", "Ready.")
    output = review("approve", "statement", statement.pk, "--as", "legal", "--revision", 1, "--comment", "Fine.")
    assert "In review → Approved" in output
    assert "Approved → Published" in review("publish", "statement", statement.pk, "--as", "comms")

    statement = reload(statement)
    assert statement.status == S.PUBLISHED
    assert statement.published_by == communicator
    assert statement.published_revision == statement.current_revision
    events = list(statement.audit_events().order_by("created_at", "id").values_list("action", "actor__username"))
    assert events[-3:] == [(Action.SUBMIT, "comms"), (Action.APPROVE, "legal"), (Action.PUBLISH, "comms")]


def test_approving_needs_the_revision_read(statement, legal):
    review("submit", "statement", statement.pk, "--as", "comms")
    error = refused("approve", "statement", statement.pk, "--as", "legal")
    assert error.returncode == EXIT_INVALID
    assert "--revision 1" in str(error)
    assert reload(statement).status == S.IN_REVIEW
    assert not ReviewDecision.objects.exists()


def test_a_stale_revision_is_refused(statement, legal, communicator):
    statement_update(actor=communicator, statement=statement, body="We are investigating the reports.")
    review("submit", "statement", statement.pk, "--as", "comms")
    error = refused("approve", "statement", statement.pk, "--as", "legal", "--revision", 1)
    assert error.returncode == EXIT_CONFLICT
    assert reload(statement).status == S.IN_REVIEW
    assert "no revision 9" in str(refused("approve", "statement", statement.pk, "--as", "legal", "--revision", 9))


def test_the_command_cannot_bypass_four_eyes(incident, legal):
    # Someone in Communicator and Legal may write and may approve, never both on one text.
    both = UserFactory(username="both", role=LEGAL)
    both.groups.add(UserFactory(username="c", role=COMMUNICATOR).groups.get())
    statement = make_statement(author=both, incident=incident)
    review("submit", "statement", statement.pk, "--as", "both")
    error = refused("approve", "statement", statement.pk, "--as", "both", "--revision", 1)
    assert error.returncode == EXIT_FORBIDDEN
    assert "someone else must approve" in str(error)
    assert refused("publish", "statement", statement.pk, "--as", "both").returncode == EXIT_CONFLICT
    assert reload(statement).status == S.IN_REVIEW
    assert not ReviewDecision.objects.exists()


def test_the_last_editor_cannot_approve_either(statement, incident):
    both = UserFactory(username="both", role=LEGAL)
    both.groups.add(UserFactory(username="c", role=COMMUNICATOR).groups.get())
    statement_update(actor=both, statement=statement, body="Edited by someone who is also in Legal.")
    review("submit", "statement", statement.pk, "--as", "both")
    assert refused("approve", "statement", statement.pk, "--as", "both", "--revision", 2).returncode == EXIT_FORBIDDEN


def test_severity_one_needs_legal_and_the_incident_lead(communicator, legal, team_lead):
    critical = IncidentFactory(severity=Severity.CRITICAL, lead=team_lead)
    MembershipFactory(incident=critical, user=team_lead, role=role("lead"))
    statement = make_statement(author=communicator, incident=critical)
    review("submit", "statement", statement.pk, "--as", "comms")
    output = review("approve", "statement", statement.pk, "--as", "legal", "--revision", 1)
    assert "Still waiting for: Incident lead" in output
    assert refused("publish", "statement", statement.pk, "--as", "comms").returncode == EXIT_CONFLICT
    review("approve", "statement", statement.pk, "--as", "lead", "--revision", 1, "--role", "incident_lead")
    review("publish", "statement", statement.pk, "--as", "lead")
    assert reload(statement).status == S.PUBLISHED


def test_roles_are_checked(statement, legal, observer):
    review("submit", "statement", statement.pk, "--as", "comms")
    assert refused("approve", "statement", statement.pk, "--as", "observer", "--revision", 1).returncode in (
        EXIT_FORBIDDEN,
        EXIT_NOT_FOUND,
    )
    review("approve", "statement", statement.pk, "--as", "legal", "--revision", 1)
    # Separation of duties: Legal approves, it does not publish.
    assert refused("publish", "statement", statement.pk, "--as", "legal").returncode == EXIT_FORBIDDEN
    assert reload(statement).status == S.APPROVED


def test_reviewing_against_needs_a_comment_and_withdrawing_a_reason(statement, legal, team_lead):
    review("submit", "statement", statement.pk, "--as", "comms")
    error = refused("request-changes", "statement", statement.pk, "--as", "legal")
    assert error.returncode == EXIT_INVALID and "comment" in str(error)
    review("request-changes", "statement", statement.pk, "--as", "legal", "--comment", "Say less about the cause.")
    assert reload(statement).status == S.DRAFT

    review("submit", "statement", statement.pk, "--as", "comms")
    review("approve", "statement", statement.pk, "--as", "legal", "--revision", 1)
    review("publish", "statement", statement.pk, "--as", "comms")
    assert refused("withdraw", "statement", statement.pk, "--as", "lead").returncode == EXIT_INVALID
    review("withdraw", "statement", statement.pk, "--as", "lead", "--reason", "The lab result changed the facts.")
    statement = reload(statement)
    assert statement.status == S.WITHDRAWN
    assert statement.withdrawal_reason == "The lab result changed the facts."


def test_reject_is_final(statement, legal):
    review("submit", "statement", statement.pk, "--as", "comms")
    review("reject", "statement", statement.pk, "--as", "legal", "--comment", "We do not comment on rumours.")
    assert reload(statement).status == S.REJECTED
    assert refused("submit", "statement", statement.pk, "--as", "comms").returncode == EXIT_CONFLICT


def test_key_messages_are_approved_never_published(communicator, legal):
    key_message = make_key_message(author=communicator)
    review("submit", "key-message", key_message.pk, "--as", "comms")
    review("approve", "keymessage", key_message.pk, "--as", "legal", "--revision", 1)
    assert reload(key_message).status == S.APPROVED
    assert refused("publish", "key_message", key_message.pk, "--as", "comms").returncode == EXIT_CONFLICT
    assert KeyMessage.objects.usable().filter(pk=key_message.pk).exists()


def test_unknown_user_type_item_and_confidential_items_are_not_found(statement, confidential_incident, team_lead):
    assert refused("show", "statement", statement.pk, "--as", "nobody").returncode == EXIT_NOT_FOUND
    assert refused("show", "leaflet", statement.pk, "--as", "comms").returncode == EXIT_INVALID
    assert refused("show", "statement", 999999, "--as", "comms").returncode == EXIT_NOT_FOUND
    secret = make_statement(author=team_lead, incident=confidential_incident)
    error = refused("submit", "statement", secret.pk, "--as", "comms")
    assert error.returncode == EXIT_NOT_FOUND
    assert secret.title not in str(error)
    assert reload(secret).status == S.DRAFT


def test_show_prints_what_a_reviewer_reads(statement, legal):
    review("submit", "statement", statement.pk, "--as", "comms")
    output = review("show", "statement", statement.pk, "--as", "legal")
    assert "Current revision: 1" in output
    assert statement.body in output
    assert "approve" in output and "request-changes" in output


def test_exit_codes_reach_the_shell(statement, legal, capsys, monkeypatch):
    from django.core.management import ManagementUtility, base

    # run_from_argv closes every connection when done, which would close the test's own.
    monkeypatch.setattr(base.connections, "close_all", lambda: None)
    review("submit", "statement", statement.pk, "--as", "comms")
    with pytest.raises(SystemExit) as info:
        ManagementUtility(["manage.py", "review", "approve", "statement", str(statement.pk), "--as", "comms"]).execute()
    assert info.value.code == EXIT_INVALID
    with pytest.raises(SystemExit) as info:
        args = ["manage.py", "review", "approve", "statement", str(statement.pk), "--as", "comms", "--revision", "1"]
        ManagementUtility(args).execute()
    assert info.value.code == EXIT_FORBIDDEN
    assert "Refused:" in capsys.readouterr().err
    assert not AuditEvent.objects.filter(action=Action.APPROVE).exists()


# --- review_queue -------------------------------------------------------------------------------


def queue(username: str) -> str:
    out = StringIO()
    call_command("review_queue", "--as", username, stdout=out)
    return out.getvalue()


def test_queue_lists_what_waits_for_legal_oldest_first(incident, communicator, legal, time_machine):
    time_machine.move_to(timezone.now() - timedelta(hours=3), tick=False)
    older = make_statement(author=communicator, incident=incident, title="Older statement")
    review("submit", "statement", older.pk, "--as", "comms")
    time_machine.move_to(timezone.now() + timedelta(hours=2, minutes=50), tick=False)
    newer = make_statement(author=communicator, incident=incident, title="Newer statement")
    review("submit", "statement", newer.pk, "--as", "comms")
    key_message = make_key_message(author=communicator, title="Line to take: refunds")
    review("submit", "keymessage", key_message.pk, "--as", "comms")
    make_statement(author=communicator, incident=incident, title="Still a draft")

    output = queue("legal")
    assert "3 item(s)" in output
    assert output.index("Older statement") < output.index("Newer statement") < output.index("Line to take: refunds")
    assert "2 h 50 min" in output and incident.reference in output  # the older one, seen 10 min before now
    assert "Still a draft" not in output

    # Approved items leave the queue.
    review("approve", "statement", older.pk, "--as", "legal", "--revision", 1)
    assert "Older statement" not in queue("legal")


def test_queue_leaves_out_what_the_user_wrote_or_cannot_see(incident, communicator, legal, confidential_incident):
    other_legal = second_legal()
    statement = make_statement(author=communicator, incident=incident)
    review("submit", "statement", statement.pk, "--as", "comms")
    secret = make_statement(author=confidential_incident.lead, incident=confidential_incident, title="Secret text")
    review("submit", "statement", secret.pk, "--as", confidential_incident.lead.username)
    assert "Nothing waits for review by comms" in queue("comms")
    assert statement.title in queue(other_legal.username)
    assert "Secret text" not in queue("legal")
    with pytest.raises(CommandError) as info:
        queue("nobody")
    assert info.value.returncode == EXIT_NOT_FOUND
    assert Statement.objects.filter(status=S.IN_REVIEW).count() == 2
