"""Notifications: the kinds registry, who is told (actor and inactive users skipped), rollback, visibility."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from crisisdesk import live
from crisisdesk.notifications import kinds
from crisisdesk.notifications.models import Notification
from crisisdesk.notifications.services import notification_mark_read, notifications_mark_all_read, notify
from crisisdesk.review import services as review
from crisisdesk.review.tests.helpers import make_statement, second_legal
from crisisdesk.testing.factories import FactFactory, MembershipFactory, UserFactory, role
from incidents import services as incident_services
from incidents.checklist.services import playbook_activate, task_assign
from incidents.listening import spikes
from incidents.listening.models import Alert, SpikeRule, WatchTerm
from incidents.models import FactStatus
from playbooks.roster.models import Person, RoleCapability
from playbooks.tests.playbook_helpers import active_playbook, second_team_lead

pytestmark = pytest.mark.django_db


def kinds_of(user):
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_every_app_registers_its_kinds():
    registered = set(kinds.KINDS)
    assert {
        "review.requested",
        "review.approved",
        "review.changes_requested",
        "review.rejected",
        "alert.fired",
        "task.assigned",
        "task.overdue",
        "statement.published",
        "statement.cites_refuted_fact",
    } <= registered


def test_unknown_kind_is_refused_before_anything_is_written(communicator):
    with pytest.raises(ValueError, match="Unknown notification kind"):
        notify(recipients=[communicator], kind="no.such.kind", text="Hello")
    assert Notification.objects.count() == 0


def test_notify_skips_the_actor_inactive_users_and_duplicates(communicator, legal, team_lead):
    retired = UserFactory(username="retired", is_active=False)
    created = notify(
        recipients=[legal, legal, communicator, retired, None],
        kind="review.requested",
        text="Review requested: something",
        url="/reviews/",
        actor=communicator,
    )
    assert [n.recipient_id for n in created] == [legal.pk]
    assert kinds_of(legal) == ["review.requested"]
    assert kinds_of(communicator) == [] and kinds_of(retired) == [] and kinds_of(team_lead) == []


def test_rows_and_topic_bump_roll_back_with_the_work(django_capture_on_commit_callbacks, legal):
    before = live.etag([live.user_topic(legal)])
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(recipients=[legal], kind="review.requested", text="Review requested: x")
        assert Notification.objects.count() == 1
        raise RuntimeError("the work failed")
    assert Notification.objects.count() == 0
    assert callbacks == []
    assert live.etag([live.user_topic(legal)]) == before


def test_committed_notification_bumps_the_recipient_topic_on_commit(django_capture_on_commit_callbacks, legal):
    before = live.etag([live.user_topic(legal)])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipients=[legal], kind="review.requested", text="Review requested: x")
    assert live.etag([live.user_topic(legal)]) == before  # not before commit
    for callback in callbacks:
        callback()
    assert live.etag([live.user_topic(legal)]) != before


def test_mark_read_one_and_all(legal, communicator):
    first, second = (notify(recipients=[legal], kind="review.requested", text=f"n{i}")[0] for i in range(2))
    notify(recipients=[communicator], kind="review.requested", text="theirs")
    notification_mark_read(actor=legal, notification=first)
    first.refresh_from_db()
    assert first.read_at is not None
    with pytest.raises(Notification.DoesNotExist):
        notification_mark_read(actor=communicator, notification=second)
    assert notifications_mark_all_read(actor=legal) == 1
    assert Notification.objects.filter(recipient=legal, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=communicator, read_at__isnull=True).count() == 1


def test_own_notifications_only_and_none_about_an_incident_one_can_no_longer_see(
    communicator, legal, outsider, confidential_incident
):
    notify(recipients=[communicator, legal], kind="review.requested", text="Plain")
    notify(recipients=[communicator], kind="review.requested", text="Secret", incident=confidential_incident)
    # The communicator is not (or no longer) on the confidential incident's team: its text stays hidden.
    assert list(Notification.objects.visible_to(communicator).values_list("text", flat=True)) == ["Plain"]
    assert Notification.objects.visible_to(legal).count() == 1
    assert Notification.objects.visible_to(outsider).count() == 0
    MembershipFactory(incident=confidential_incident, user=communicator, role=role("communications"))
    assert Notification.objects.visible_to(communicator).count() == 2


# --- emitted by the apps ---------------------------------------------------------------------------------------


def test_review_requested_reaches_the_reviewers_not_the_author(communicator, legal, incident):
    other_legal = second_legal()
    statement = make_statement(author=communicator, incident=incident)
    review.review_submit(actor=communicator, item=statement)
    for reviewer in (legal, other_legal):
        (notification,) = Notification.objects.filter(recipient=reviewer)
        assert notification.kind == "review.requested"
        assert notification.text == f"Review requested: {incident.reference} statement “{statement.title}”"
        assert notification.url == f"/reviews/statement/{statement.pk}/"
        assert notification.incident == incident
    assert kinds_of(communicator) == []


def test_decisions_reach_the_author_not_the_reviewer(communicator, legal, incident):
    approved = make_statement(author=communicator, incident=incident, title="One")
    review.review_submit(actor=communicator, item=approved)
    approved.refresh_from_db()
    review.review_approve(actor=legal, item=approved, revision=approved.current_revision)
    sent_back = make_statement(author=communicator, incident=incident, title="Two")
    review.review_submit(actor=communicator, item=sent_back)
    review.review_request_changes(actor=legal, item=sent_back, comment="Shorter.")
    rejected = make_statement(author=communicator, incident=incident, title="Three")
    review.review_submit(actor=communicator, item=rejected)
    review.review_reject(actor=legal, item=rejected, comment="Never.")
    assert sorted(kinds_of(communicator)) == ["review.approved", "review.changes_requested", "review.rejected"]
    texts = set(Notification.objects.filter(recipient=communicator).values_list("text", flat=True))
    assert f"Approved: {incident.reference} statement “One”" in texts
    assert "review.approved" not in kinds_of(legal)


def test_statement_published_reaches_the_incident_team_except_the_publisher(communicator, legal, team_lead, incident):
    incident.lead = team_lead
    incident.save()
    member = UserFactory(username="member", role="Communicator")
    MembershipFactory(incident=incident, user=member, role=role("communications"))
    statement = make_statement(author=communicator, incident=incident)
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
    review.review_publish(actor=team_lead, item=statement)
    assert "statement.published" in kinds_of(member)
    assert "statement.published" not in kinds_of(team_lead)
    (notification,) = Notification.objects.filter(recipient=member, kind="statement.published")
    assert notification.url == f"/incidents/{incident.reference}/statements/{statement.pk}/"


def test_refuted_fact_reaches_the_author_of_a_published_statement(communicator, legal, team_lead, incident):
    fact = FactFactory(incident=incident)
    statement = make_statement(author=communicator, incident=incident, facts=[fact])
    fact_confirm = incident_services.fact_verify(actor=team_lead, fact=fact, status=FactStatus.CONFIRMED)
    assert fact_confirm.status == FactStatus.CONFIRMED
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
    review.review_publish(actor=communicator, item=statement)
    fact.refresh_from_db()
    incident_services.fact_verify(actor=team_lead, fact=fact, status=FactStatus.REFUTED, note="Wrong batch.")
    assert "statement.cites_refuted_fact" in kinds_of(communicator)
    assert "statement.cites_refuted_fact" not in kinds_of(team_lead)


def test_task_assigned_reaches_the_assignee(team_lead, legal, incident):
    playbook = active_playbook(author=second_team_lead(), approver=team_lead)
    playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    task = incident.tasks.first()
    task_assign(actor=team_lead, task=task, assignee=legal)
    (notification,) = Notification.objects.filter(recipient=legal)
    assert notification.kind == "task.assigned"
    assert notification.text == f"Task assigned to you: {task.title} ({incident.reference})"
    assert "task.assigned" not in kinds_of(team_lead)


def test_overdue_task_reaches_its_assignee_once(team_lead, legal, incident):
    from incidents.response.services import send_due_reminders

    playbook = active_playbook(author=second_team_lead(), approver=team_lead)
    playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    task = incident.tasks.first()
    task_assign(actor=team_lead, task=task, assignee=legal)
    later = task.due_at + timedelta(minutes=1)
    send_due_reminders(now=later)
    send_due_reminders(now=later)
    assert kinds_of(legal).count("task.overdue") == 1


def test_alert_reaches_team_leads_the_rule_author_and_who_is_on_duty(team_lead, communicator, observer, outsider):
    term = WatchTerm.objects.create(term="Acme", kind="brand", created_by=communicator)
    rule = SpikeRule.objects.create(name="Acme spike", watch_term=term, min_count=5, created_by=communicator)
    person = Person.objects.create(full_name="On call", user=observer)
    RoleCapability.objects.create(person=person, role=role("communications"), priority=1)
    backup = Person.objects.create(full_name="Backup", user=UserFactory(username="backup", role="Observer"))
    RoleCapability.objects.create(person=backup, role=role("communications"), priority=2)
    now = timezone.now()
    alert = Alert.objects.create(
        rule=rule, watch_term=term, fired_at=now, window_start=now - timedelta(hours=1), window_end=now,
        count=40, baseline=4.0, negative_share=0.7, baseline_negative_share=0.1,
    )  # fmt: skip
    spikes._notify_in_app(alert)
    told = set(Notification.objects.filter(kind="alert.fired").values_list("recipient__username", flat=True))
    assert told == {team_lead.username, communicator.username, observer.username}
    (notification,) = Notification.objects.filter(recipient=team_lead)
    assert notification.text == "Spike alert: “Acme”, 40 mentions"
    assert notification.url == f"/mentions/alerts/{alert.pk}/"
