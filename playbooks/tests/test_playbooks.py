"""Playbook versions through the review engine: team-lead approval, four eyes, active version only on approval."""

from datetime import date

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review import services as review
from crisisdesk.review.models import Action, ReviewStatus
from crisisdesk.testing.factories import role
from playbooks.models import Playbook, PlaybookReminder
from playbooks.services import (
    playbook_create,
    playbook_send_review_reminders,
    playbook_update,
    playbook_version_create,
    playbook_version_update,
)
from playbooks.tests.playbook_helpers import active_playbook, approve, make_playbook, second_team_lead

pytestmark = pytest.mark.django_db
S = ReviewStatus


def test_first_version_becomes_active_only_on_approval(team_lead):
    lead2 = second_team_lead()
    playbook = make_playbook(author=team_lead)
    version = playbook.versions.get()
    assert version.status == S.DRAFT and playbook.active_version is None
    assert [s.position for s in version.steps.all()] == [1, 2, 3]
    review.review_submit(actor=team_lead, item=version)
    playbook.refresh_from_db()
    assert playbook.active_version is None  # in review is not live
    version.refresh_from_db()
    review.review_approve(actor=lead2, item=version, revision=version.current_revision)
    playbook.refresh_from_db()
    assert playbook.active_version == version


def test_author_cannot_approve_own_version(team_lead):
    playbook = make_playbook(author=team_lead)
    version = playbook.versions.get()
    review.review_submit(actor=team_lead, item=version)
    version.refresh_from_db()
    with pytest.raises(PermissionDenied):
        review.review_approve(actor=team_lead, item=version, revision=version.current_revision)
    playbook.refresh_from_db()
    assert playbook.active_version is None


def test_editor_of_a_version_cannot_approve_it(team_lead, communicator):
    lead2 = second_team_lead()
    playbook = active_playbook(author=team_lead, approver=lead2)
    draft = playbook_version_create(actor=team_lead, playbook=playbook)
    # lead2 edits the draft: now neither may approve it.
    playbook_version_update(actor=lead2, version=draft, trigger_criteria="Any complaint above 5,000 shares.")
    review.review_submit(actor=communicator, item=draft)
    draft.refresh_from_db()
    for person in (team_lead, lead2):
        with pytest.raises(PermissionDenied):
            review.review_approve(actor=person, item=draft, revision=draft.current_revision)


def test_new_version_replaces_active_only_when_approved_and_old_stays_readable(team_lead):
    lead2 = second_team_lead()
    playbook = active_playbook(author=team_lead, approver=lead2)
    v1 = playbook.active_version
    v2 = playbook_version_create(actor=team_lead, playbook=playbook)
    assert v2.number == 2 and v2.steps.count() == 3
    v2 = playbook_version_update(
        actor=team_lead,
        version=v2,
        steps=[{"title": "Call the CEO", "role": role("lead"), "within_minutes": 5}],
    )
    playbook.refresh_from_db()
    assert playbook.active_version == v1
    review.review_submit(actor=team_lead, item=v2)
    playbook.refresh_from_db()
    assert playbook.active_version == v1
    v2.refresh_from_db()
    review.review_approve(actor=lead2, item=v2, revision=v2.current_revision)
    playbook.refresh_from_db()
    assert playbook.active_version == v2
    v1.refresh_from_db()
    assert v1.status == S.APPROVED and [s.title for s in v1.steps.all()][0].startswith("Confirm")
    assert v1.revisions().count() == 1


def test_rejected_or_changes_requested_version_does_not_activate(team_lead):
    lead2 = second_team_lead()
    playbook = active_playbook(author=team_lead, approver=lead2)
    v1 = playbook.active_version
    v2 = playbook_version_create(actor=team_lead, playbook=playbook)
    review.review_submit(actor=team_lead, item=v2)
    review.review_request_changes(actor=lead2, item=v2, comment="Add the regulator step.")
    playbook.refresh_from_db()
    assert playbook.active_version == v1


def test_approved_version_is_never_edited(team_lead):
    playbook = active_playbook(author=team_lead, approver=second_team_lead())
    with pytest.raises(PermissionDenied):
        playbook_version_update(actor=team_lead, version=playbook.active_version, summary="sneaky")
    assert Action.EDIT not in review.available_actions(user=team_lead, item=playbook.active_version)


def test_only_one_version_in_the_works(team_lead):
    playbook = make_playbook(author=team_lead)
    with pytest.raises(InvalidTransition):
        playbook_version_create(actor=team_lead, playbook=playbook)


def test_versions_are_never_published_or_withdrawn(team_lead):
    playbook = active_playbook(author=team_lead, approver=second_team_lead())
    with pytest.raises(InvalidTransition):
        review.review_publish(actor=team_lead, item=playbook.active_version)
    with pytest.raises(PermissionDenied):
        review.review_withdraw(actor=team_lead, item=playbook.active_version, reason="no")


@pytest.mark.parametrize(
    ("persona", "create", "draft", "approve_ok"),
    [
        ("communicator", False, True, False),
        ("legal", False, False, False),
        ("team_lead", True, True, True),
        ("observer", False, False, False),
        ("outsider", False, False, False),
    ],
)
def test_permissions_per_persona(personas, team_lead, persona, create, draft, approve_ok):
    user = personas[persona]
    lead2 = second_team_lead()
    if create:
        assert make_playbook(author=user, title="Mine").pk
    else:
        with pytest.raises(PermissionDenied):
            make_playbook(author=user, title="Mine")
    playbook = active_playbook(author=lead2, approver=team_lead if persona != "team_lead" else second_lead_3())
    if draft:
        version = playbook_version_create(actor=user, playbook=playbook)
        assert version.number == 2
    else:
        with pytest.raises(PermissionDenied):
            playbook_version_create(actor=user, playbook=playbook)
        version = playbook_version_create(actor=lead2, playbook=playbook)
    review.review_submit(actor=lead2, item=version)
    version.refresh_from_db()
    if approve_ok and persona != "team_lead":
        review.review_approve(actor=user, item=version, revision=version.current_revision)
    elif not approve_ok:
        with pytest.raises(PermissionDenied):
            review.review_approve(actor=user, item=version, revision=version.current_revision)
    assert Playbook.objects.visible_to(user).exists() == (persona != "outsider")


def second_lead_3():
    from crisisdesk.roles import TEAM_LEAD
    from crisisdesk.testing.factories import UserFactory

    return UserFactory(username="lead3", role=TEAM_LEAD)


def test_steps_are_validated(team_lead):
    with pytest.raises(ValidationError) as error:
        make_playbook(author=team_lead, steps=[{"title": "", "role": None, "within_minutes": 5}])
    assert "steps" in error.value.message_dict


def test_owner_may_move_the_review_date(team_lead, communicator, observer):
    playbook = make_playbook(author=team_lead, owner=communicator)
    playbook_update(actor=communicator, playbook=playbook, review_due=date(2031, 1, 1))
    with pytest.raises(PermissionDenied):
        playbook_update(actor=observer, playbook=playbook, review_due=date(2031, 1, 1))


def test_stale_playbooks_and_one_reminder_per_due_date(team_lead, communicator):
    stale = make_playbook(author=team_lead, owner=communicator, review_due=date(2026, 3, 1))
    make_playbook(author=team_lead, title="Fresh", review_due=date(2026, 6, 1))
    with time_machine.travel("2026-04-01 09:00Z", tick=False):
        assert list(Playbook.objects.stale()) == [stale]
        assert stale.is_stale()
    with time_machine.travel("2026-04-01 09:00Z", tick=False):
        sent = playbook_send_review_reminders()
        assert [r.playbook for r in sent] == [stale]
        assert playbook_send_review_reminders() == []  # once per due date
    assert PlaybookReminder.objects.count() == 1
    # A new due date that also passes gets its own reminder.
    playbook_update(actor=team_lead, playbook=stale, review_due=date(2026, 5, 1))
    with time_machine.travel("2026-05-02 09:00Z", tick=False):
        assert len(playbook_send_review_reminders()) == 1


def test_reminder_email_goes_to_owner_after_commit(team_lead, communicator, django_capture_on_commit_callbacks):
    make_playbook(author=team_lead, owner=communicator, review_due=date(2026, 3, 1))
    with time_machine.travel("2026-04-01 09:00Z", tick=False), django_capture_on_commit_callbacks(execute=True):
        playbook_send_review_reminders()
    assert [m.to for m in mail.outbox] == [[communicator.email]]
    assert "Viral customer complaint" in mail.outbox[0].subject


def test_create_rejects_unknown_channel(team_lead):
    with pytest.raises(ValidationError):
        playbook_create(actor=team_lead, title="X", trigger_criteria="Y", channels=["telegraph"])


def test_approve_in_playbook_helper(team_lead):
    lead2 = second_team_lead()
    playbook = make_playbook(author=team_lead)
    version = approve(playbook.versions.get(), submitter=team_lead, approver=lead2)
    assert version.status == S.APPROVED


def test_beat_task_sends_reminders(team_lead):
    from django.conf import settings

    from playbooks.tasks import send_playbook_review_reminders

    make_playbook(author=team_lead, review_due=date(2026, 3, 1))
    with time_machine.travel("2026-04-01 09:00Z", tick=False):
        assert send_playbook_review_reminders() == 1
        assert send_playbook_review_reminders() == 0
    assert settings.CELERY_BEAT_SCHEDULE["playbook-review-reminders"]["task"] == "playbooks.send_review_reminders"
