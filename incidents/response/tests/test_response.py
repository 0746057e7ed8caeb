"""Response targets, clocks and reminders: each reminder at its threshold, once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from crisisdesk.review import services as review
from crisisdesk.review.tests.helpers import make_statement, statement_in
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, UserFactory, role
from incidents.models import Status
from incidents.response import clocks
from incidents.response import services as response
from incidents.response.models import ResponseReminder, ResponseTarget
from incidents.response.tasks import send_due_reminders as send_due_reminders_task

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def events(monkeypatch):
    """Webhook events the reminders emit (the outbox itself is tested with the webhooks app)."""
    emitted = []
    monkeypatch.setattr(response, "emit_event", lambda **kwargs: emitted.append(kwargs))
    return emitted


@pytest.fixture
def sev1(team_lead, communicator):
    """A severity-1 incident detected at T0, led by the team lead, with a communications member."""
    incident = IncidentFactory(severity=1, detected_at=T0, lead=team_lead, title="Exploding phone chargers")
    MembershipFactory(incident=incident, user=communicator, role=role("communications"))
    return incident


def run_at(moment, django_capture_on_commit_callbacks):
    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
        return response.send_due_reminders()


def keys(reminders):
    return sorted(reminder.key for reminder in reminders)


def test_default_targets_come_with_the_database(db):
    targets = {target.severity: target for target in ResponseTarget.objects.all()}
    assert set(targets) == {1, 2, 3, 4}
    first = targets[1]
    assert (first.acknowledge_minutes, first.first_response_minutes, first.update_interval_minutes) == (15, 60, 30)
    assert first.update_window_minutes == 6 * 60
    # Lower severities never ask for a faster reaction than higher ones.
    for higher, lower in ((1, 2), (2, 3), (3, 4)):
        assert targets[higher].acknowledge_minutes <= targets[lower].acknowledge_minutes
        assert targets[higher].first_response_minutes <= targets[lower].first_response_minutes


def test_acknowledge_reminders_at_each_threshold_once(
    sev1, team_lead, communicator, events, mailoutbox, django_capture_on_commit_callbacks
):
    # 15 min target: due soon from 11 min 15 s (75 %), overdue from 15 min.
    assert run_at(T0 + timedelta(minutes=11), django_capture_on_commit_callbacks) == []
    assert mailoutbox == [] and events == []

    sent = run_at(T0 + timedelta(minutes=11, seconds=15), django_capture_on_commit_callbacks)
    assert keys(sent) == [f"incident:{sev1.pk}:acknowledge:due_soon"]
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == sorted([team_lead.email, communicator.email])
    assert "Due soon" in mailoutbox[0].subject and sev1.reference in mailoutbox[0].subject
    assert [e["event_type"] for e in events] == ["incident.response_due_soon"]
    assert events[0]["incident"] == sev1
    assert events[0]["payload"]["clock"] == "acknowledge"
    assert events[0]["payload"]["incident"]["reference"] == sev1.reference

    # The next beat runs send nothing new before the breach.
    assert run_at(T0 + timedelta(minutes=12), django_capture_on_commit_callbacks) == []
    assert run_at(T0 + timedelta(minutes=14, seconds=59), django_capture_on_commit_callbacks) == []

    sent = run_at(T0 + timedelta(minutes=15), django_capture_on_commit_callbacks)
    assert keys(sent) == [f"incident:{sev1.pk}:acknowledge:overdue"]
    assert "Overdue" in mailoutbox[-1].subject
    assert events[-1]["event_type"] == "incident.response_overdue"

    assert run_at(T0 + timedelta(minutes=16), django_capture_on_commit_callbacks) == []
    assert len(mailoutbox) == 2 and len(events) == 2
    assert ResponseReminder.objects.filter(incident=sev1).count() == 2


def test_first_response_reminders_follow_their_own_target(sev1, events, django_capture_on_commit_callbacks):
    # Acknowledged in time: only the first-response clock runs (60 min → due soon at 45 min).
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        from incidents import services

        services.incident_acknowledge(actor=sev1.lead, incident=sev1)
    assert run_at(T0 + timedelta(minutes=44), django_capture_on_commit_callbacks) == []
    assert keys(run_at(T0 + timedelta(minutes=45), django_capture_on_commit_callbacks)) == [
        f"incident:{sev1.pk}:first_response:due_soon"
    ]
    assert keys(run_at(T0 + timedelta(minutes=61), django_capture_on_commit_callbacks)) == [
        f"incident:{sev1.pk}:first_response:overdue"
    ]
    assert run_at(T0 + timedelta(minutes=90), django_capture_on_commit_callbacks) == []
    assert [e["payload"]["clock"] for e in events] == ["first_response", "first_response"]


def test_late_beat_sends_overdue_without_a_stale_due_soon(sev1, events, django_capture_on_commit_callbacks):
    sent = run_at(T0 + timedelta(minutes=20), django_capture_on_commit_callbacks)
    assert keys(sent) == [f"incident:{sev1.pk}:acknowledge:overdue"]


def test_met_clocks_and_closed_incidents_send_nothing(team_lead, events, django_capture_on_commit_callbacks):
    IncidentFactory(
        severity=1,
        detected_at=T0,
        lead=team_lead,
        status=Status.INVESTIGATING,
        acknowledged_at=T0 + timedelta(minutes=3),
        first_public_response_at=T0 + timedelta(minutes=30),
    )
    IncidentFactory(
        severity=1,
        detected_at=T0,
        status=Status.RESOLVED,
        acknowledged_at=T0 + timedelta(minutes=3),
        resolved_at=T0 + timedelta(minutes=10),
    )
    # At T0+40 the first incident's update (due T0+60) is not yet at 75 %; nothing else runs.
    assert run_at(T0 + timedelta(minutes=40), django_capture_on_commit_callbacks) == []
    assert events == []


def test_update_cadence_restarts_at_each_publication(
    communicator, legal, team_lead, events, django_capture_on_commit_callbacks
):
    # Severity 2: updates every 60 min for 12 h. Published at T0+20 → next update due T0+80.
    incident = IncidentFactory(severity=2, detected_at=T0, lead=team_lead)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        from incidents import services

        services.incident_acknowledge(actor=team_lead, incident=incident)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        statement_in(
            "published",
            author=communicator,
            reviewer=legal,
            publisher=communicator,
            withdrawer=legal,
            incident=incident,
        )
    incident.refresh_from_db()
    assert incident.first_public_response_at == T0 + timedelta(minutes=20)
    board = clocks.response_board(incident, now=T0 + timedelta(minutes=30))
    update = next(clock for clock in board.clocks if clock.code == "update")
    assert update.due_at == T0 + timedelta(minutes=80)

    assert run_at(T0 + timedelta(minutes=64), django_capture_on_commit_callbacks) == []
    assert [r.clock for r in run_at(T0 + timedelta(minutes=65), django_capture_on_commit_callbacks)] == ["update"]
    assert [r.stage for r in run_at(T0 + timedelta(minutes=80), django_capture_on_commit_callbacks)] == ["overdue"]

    # A new statement at T0+90 starts a new cycle (due T0+150) with its own reminders.
    with time_machine.travel(T0 + timedelta(minutes=90), tick=False):
        statement_in(
            "published",
            author=communicator,
            reviewer=legal,
            publisher=communicator,
            withdrawer=legal,
            incident=incident,
            title="Update",
        )
    assert run_at(T0 + timedelta(minutes=100), django_capture_on_commit_callbacks) == []
    sent = run_at(T0 + timedelta(minutes=135), django_capture_on_commit_callbacks)
    assert [(r.clock, r.stage) for r in sent] == [("update", "due_soon")]
    assert sent[0].due_at == T0 + timedelta(minutes=150)


def test_update_cadence_ends_with_its_window(team_lead, events):
    # Severity 1's cadence lasts 6 h: a response at T0+5h50 asks for no update at T0+6h20.
    incident = IncidentFactory(
        severity=1,
        detected_at=T0,
        lead=team_lead,
        status=Status.RESPONDING,
        acknowledged_at=T0 + timedelta(minutes=1),
        first_public_response_at=T0 + timedelta(hours=5, minutes=50),
    )
    board = clocks.response_board(incident, now=T0 + timedelta(hours=6))
    assert [clock.code for clock in board.clocks] == ["acknowledge", "first_response"]


def test_exercise_reminds_the_team_but_emits_no_webhook(
    team_lead, events, mailoutbox, django_capture_on_commit_callbacks
):
    IncidentFactory(severity=1, detected_at=T0, lead=team_lead, is_exercise=True)
    sent = run_at(T0 + timedelta(minutes=15), django_capture_on_commit_callbacks)
    assert len(sent) == 1
    assert mailoutbox[0].to == [team_lead.email]
    assert "(exercise)" in mailoutbox[0].subject
    assert events == []


def test_a_reminder_recorded_by_a_concurrent_run_is_not_sent_again(
    sev1, events, mailoutbox, django_capture_on_commit_callbacks
):
    moment = T0 + timedelta(minutes=15)
    kwargs = {
        "key": "incident:race:acknowledge:overdue",
        "incident": sev1,
        "clock": "acknowledge",
        "stage": "overdue",
        "due_at": moment,
        "recipients": [sev1.lead],
        "subject": "Overdue",
        "body": "Late.",
        "event": {"event_type": "incident.response_overdue", "payload": {}, "incident": sev1},
    }
    with django_capture_on_commit_callbacks(execute=True):
        first = response._record_once(**kwargs)
        # The second run lost the race on the unique key: no row, no event, no e-mail.
        second = response._record_once(**kwargs)
    assert first is not None and second is None
    assert len(mailoutbox) == 1 and len(events) == 1


def test_a_failing_event_rolls_the_reminder_back(sev1, monkeypatch, mailoutbox, django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(response, "emit_event", broken)
    with pytest.raises(RuntimeError):
        run_at(T0 + timedelta(minutes=15), django_capture_on_commit_callbacks)
    assert not ResponseReminder.objects.exists()
    assert mailoutbox == []


def test_reviews_waiting_too_long_remind_the_reviewers_once(
    communicator, legal, events, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.REVIEW_REMINDER_MINUTES = 30
    incident = IncidentFactory(severity=3, detected_at=T0, status=Status.INVESTIGATING, acknowledged_at=T0)
    with time_machine.travel(T0, tick=False):
        statement = make_statement(author=communicator, incident=incident)
        review.review_submit(actor=communicator, item=statement)
    mailoutbox.clear()
    assert run_at(T0 + timedelta(minutes=29), django_capture_on_commit_callbacks) == []
    sent = run_at(T0 + timedelta(minutes=30), django_capture_on_commit_callbacks)
    assert [(r.clock, r.stage) for r in sent] == [("legal_review", "overdue")]
    assert mailoutbox[-1].to == [legal.email]
    assert "Review waiting" in mailoutbox[-1].subject
    assert events[-1]["payload"]["clock"] == "legal_review"
    assert run_at(T0 + timedelta(minutes=45), django_capture_on_commit_callbacks) == []


def test_beat_task_calls_the_service(sev1, events, django_capture_on_commit_callbacks):
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["response-reminders"]
    assert entry["task"] == send_due_reminders_task.name == "incidents.send_due_reminders"
    assert entry["schedule"] == 60.0
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders_task.apply().get() == 1


# --- targets ------------------------------------------------------------------------------


def test_team_lead_edits_targets_and_running_clocks_follow(team_lead, sev1):
    target = ResponseTarget.objects.get(severity=1)
    response.response_target_update(
        actor=team_lead,
        target=target,
        acknowledge_minutes=10,
        first_response_minutes=45,
        update_interval_minutes=20,
        update_window_minutes=None,
    )
    board = clocks.response_board(sev1, now=T0 + timedelta(minutes=8))
    acknowledge = board.clocks[0]
    assert acknowledge.due_at == T0 + timedelta(minutes=10) and acknowledge.due_soon
    assert ResponseTarget.objects.get(severity=1).updated_by == team_lead


@pytest.mark.parametrize("persona", ["communicator", "legal", "observer", "outsider"])
def test_only_team_leads_edit_targets(persona, personas):
    with pytest.raises(PermissionDenied):
        response.response_target_update(
            actor=personas[persona],
            target=ResponseTarget.objects.get(severity=2),
            acknowledge_minutes=1,
            first_response_minutes=2,
            update_interval_minutes=None,
            update_window_minutes=None,
        )
    assert ResponseTarget.objects.get(severity=2).acknowledge_minutes == 30


def test_targets_are_validated(team_lead):
    target = ResponseTarget.objects.get(severity=2)
    with pytest.raises(ValidationError) as error:
        response.response_target_update(
            actor=team_lead,
            target=target,
            acknowledge_minutes=60,
            first_response_minutes=30,
            update_interval_minutes=None,
            update_window_minutes=None,
        )
    assert "first_response_minutes" in error.value.message_dict
    with pytest.raises(ValidationError):
        response.response_target_update(
            actor=team_lead,
            target=target,
            acknowledge_minutes=0,
            first_response_minutes=30,
            update_interval_minutes=None,
            update_window_minutes=None,
        )


def test_targets_page(client_for, team_lead, communicator, outsider):
    url = reverse("response_targets")
    assert client_for(outsider).get(url).status_code == 403
    page = client_for(communicator).get(url)
    assert page.status_code == 200 and b"<form" not in page.content.split(b'id="main"')[1]
    client = client_for(team_lead)
    assert b"<form" in client.get(url).content
    data = {}
    for index, target in enumerate(ResponseTarget.objects.order_by("severity")):
        prefix = f"form-{index}"
        data.update(
            {
                f"{prefix}-id": target.pk,
                f"{prefix}-acknowledge_minutes": 5 if target.severity == 1 else target.acknowledge_minutes,
                f"{prefix}-first_response_minutes": target.first_response_minutes,
                f"{prefix}-update_interval_minutes": target.update_interval_minutes or "",
                f"{prefix}-update_window_minutes": target.update_window_minutes or "",
            }
        )
    data.update({"form-TOTAL_FORMS": 4, "form-INITIAL_FORMS": 4, "form-MIN_NUM_FORMS": 0, "form-MAX_NUM_FORMS": 4})
    assert client.post(url, data).status_code == 302
    assert ResponseTarget.objects.get(severity=1).acknowledge_minutes == 5
    assert client_for(communicator).post(url, data).status_code == 403


# --- pages --------------------------------------------------------------------------------


def test_war_room_shows_response_targets(client_for, team_lead, sev1):
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        page = client_for(team_lead).get(sev1.get_absolute_url())
    html = page.content.decode()
    assert "Response targets" in html
    assert 'cd-response-overdue" data-clock="acknowledge"' in html
    assert "overdue by 5 min" in html
    assert 'data-clock="first_response"' in html and "40 min left" in html


def test_dashboard_highlights_overdue_incidents(client_for, team_lead, sev1):
    IncidentFactory(severity=4, detected_at=T0, title="Minor grumble")
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        html = client_for(team_lead).get(reverse("dashboard")).content.decode()
    assert html.count("cd-incident-overdue") == 1
    assert "1 incident has an overdue response." in html
    assert "overdue by 5 min" in html


def test_dashboard_query_count_stays_flat(client_for, team_lead, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(team_lead)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("dashboard")).status_code == 200
        return len(queries)

    IncidentFactory(severity=1, detected_at=T0, lead=team_lead)
    with time_machine.travel(T0 + timedelta(minutes=50), tick=False):
        one = count()
    for index in range(30):
        IncidentFactory(
            severity=index % 4 + 1,
            detected_at=T0,
            lead=UserFactory(),
            status=Status.RESPONDING if index % 2 else Status.DETECTED,
            acknowledged_at=T0 if index % 2 else None,
            first_public_response_at=T0 + timedelta(minutes=10) if index % 3 == 0 else None,
        )
    with time_machine.travel(T0 + timedelta(minutes=50), tick=False):
        many = count()
    assert many == one


def test_overdue_playbook_task_reminds_its_assignee_once(
    sev1, team_lead, communicator, events, mailoutbox, django_capture_on_commit_callbacks
):
    """Issue 6: overdue tasks surface as reminders too — to the assignee, once, never for a done task."""
    from incidents.checklist import services as task_services
    from playbooks.tests.playbook_helpers import active_playbook, second_team_lead

    playbook = active_playbook(author=team_lead, approver=second_team_lead())
    with time_machine.travel(T0, tick=False):
        task_services.playbook_activate(actor=team_lead, incident=sev1, playbook=playbook)
    first, second, _third = sev1.tasks.order_by("due_at")
    assert first.assignee == communicator  # the communications member: the step's role
    with time_machine.travel(T0, tick=False):
        task_services.task_complete(actor=communicator, task=second)

    def task_reminders():
        return list(ResponseReminder.objects.filter(clock="task"))

    run_at(T0 + timedelta(minutes=14), django_capture_on_commit_callbacks)
    assert task_reminders() == []

    run_at(T0 + timedelta(minutes=15), django_capture_on_commit_callbacks)
    assert [r.key for r in task_reminders()] == [f"task:{first.pk}:overdue"]
    task_mail = [m for m in mailoutbox if "Overdue task" in m.subject]
    assert len(task_mail) == 1 and task_mail[0].to == [communicator.email]
    assert first.title in task_mail[0].body

    # The completed second task (due at +30) never reminds; the first is not reminded twice.
    run_at(T0 + timedelta(minutes=31), django_capture_on_commit_callbacks)
    assert [r.key for r in task_reminders()] == [f"task:{first.pk}:overdue"]
    assert len([m for m in mailoutbox if "Overdue task" in m.subject]) == 1
