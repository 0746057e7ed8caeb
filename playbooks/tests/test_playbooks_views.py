"""Browser views of playbooks, the war-room checklist, roster and exercises: wiring, permissions, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisisdesk.testing.factories import MembershipFactory, role
from incidents.checklist.models import TaskStatus
from incidents.checklist.services import playbook_activate
from playbooks.models import Playbook
from playbooks.roster.services import person_create
from playbooks.services import exercise_schedule
from playbooks.tests.playbook_helpers import active_playbook, make_playbook, second_team_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def playbook(team_lead):
    return active_playbook(author=second_team_lead(), approver=team_lead)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("communicator", 200), ("legal", 200), ("team_lead", 200), ("observer", 200), ("outsider", 403)],
)
def test_lists_per_persona(client_for, personas, playbook, persona, status):
    client = client_for(personas[persona])
    for name in ("playbooks:list", "roster:list", "roster:who_to_call"):
        assert client.get(reverse(name)).status_code == status
    detail = client.get(playbook.get_absolute_url())
    assert detail.status_code == (404 if persona == "outsider" else 200)


def test_create_playbook_through_the_form(client_for, team_lead):
    client = client_for(team_lead)
    data = {
        "title": "Data breach",
        "scenario": "data_breach",
        "language": "en",
        "owner": team_lead.pk,
        "trigger_criteria": "Personal data exposed.",
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "0",
        "steps-0-title": "Call the DPO",
        "steps-0-role": role("legal").pk,
        "steps-0-within_minutes": "10",
        "steps-1-title": "",
        "steps-1-within_minutes": "60",
    }
    response = client.post(reverse("playbooks:create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    playbook = Playbook.objects.get(title="Data breach")
    assert [s.title for s in playbook.versions.get().steps.all()] == ["Call the DPO"]
    assert client_for(team_lead).get(response["Location"]).status_code == 200


def test_communicator_cannot_create_playbooks(client_for, communicator):
    assert client_for(communicator).get(reverse("playbooks:create")).status_code == 403


def test_stale_playbooks_flagged_in_list_and_dashboard(client_for, team_lead):
    make_playbook(author=team_lead, review_due=timezone.localdate().replace(year=2020))
    client = client_for(team_lead)
    assert "review overdue" in client.get(reverse("playbooks:list")).content.decode()
    assert "cd-stale-playbooks" in client.get(reverse("dashboard")).content.decode()


def test_playbook_list_query_count_is_flat(client_for, team_lead, django_assert_max_num_queries):
    make_playbook(author=team_lead, title="P0")
    client = client_for(team_lead)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("playbooks:list"))
    for n in range(1, 8):
        make_playbook(author=team_lead, title=f"P{n}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("playbooks:list"))
    assert len(many) == len(one)


def test_roster_list_query_count_is_flat(client_for, team_lead):
    person_create(actor=team_lead, full_name="P0", roles=[role("spokesperson")])
    client = client_for(team_lead)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("roster:list"))
    for n in range(1, 8):
        person_create(actor=team_lead, full_name=f"P{n}", roles=[role("spokesperson"), (role("legal"), 2)])
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("roster:list"))
    assert len(many) == len(one)


def test_war_room_checklist_query_count_is_flat(client_for, team_lead, incident, playbook):
    client = client_for(team_lead)
    url = incident.get_absolute_url()
    playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3):
        other = active_playbook(author=second_team_lead(), approver=team_lead, title=f"Other {n}")
        playbook_activate(actor=team_lead, incident=incident, playbook=other)
    assert incident.tasks.count() == 12
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert "Checklist" in response.content.decode()
    assert len(many) == len(few)


def test_team_lead_activates_and_communicator_completes(client_for, team_lead, communicator, incident, playbook):
    client = client_for(team_lead)
    response = client.post(reverse("incidents:activate_playbook", args=[incident.reference]), {"playbook": playbook.pk})
    assert response.status_code == 302
    client.post(reverse("incidents:activate_playbook", args=[incident.reference]), {"playbook": playbook.pk})
    assert incident.tasks.count() == 3
    task = incident.tasks.order_by("position").first()
    client = client_for(communicator)
    client.post(reverse("incidents:task_complete", args=[incident.reference, task.pk]), {"note": ""})
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


@pytest.mark.parametrize("persona", ["communicator", "observer", "legal"])
def test_non_leads_cannot_activate(client_for, personas, incident, playbook, persona):
    response = client_for(personas[persona]).post(
        reverse("incidents:activate_playbook", args=[incident.reference]), {"playbook": playbook.pk}
    )
    assert response.status_code == 403
    assert not incident.tasks.exists()


def test_observer_cannot_complete_and_outsider_gets_404(client_for, team_lead, observer, outsider, incident, playbook):
    playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    task = incident.tasks.first()
    url = reverse("incidents:task_complete", args=[incident.reference, task.pk])
    assert client_for(observer).post(url).status_code == 403
    assert client_for(outsider).post(url).status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_member_observer_may_complete(client_for, team_lead, observer, incident, playbook):
    MembershipFactory(incident=incident, user=observer, role=role("scribe"))
    playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    task = incident.tasks.first()
    client_for(observer).post(reverse("incidents:task_skip", args=[incident.reference, task.pk]), {"reason": "n/a"})
    task.refresh_from_db()
    assert task.status == TaskStatus.SKIPPED


def test_run_exercise_from_the_browser(client_for, team_lead, playbook):
    exercise = exercise_schedule(actor=team_lead, playbook=playbook, title="Drill", scheduled_for=timezone.now())
    response = client_for(team_lead).post(reverse("exercises:action", args=[exercise.pk]), {"action": "run"})
    exercise.refresh_from_db()
    assert exercise.incident.is_exercise
    assert response["Location"] == exercise.incident.get_absolute_url()


def test_version_review_buttons(client_for, team_lead, communicator):
    playbook = make_playbook(author=team_lead)
    version = playbook.versions.get()
    url = reverse("playbooks:version_transition", args=[playbook.pk, 1])
    client_for(team_lead).post(url, {"action": "submit", "revision": version.current_revision_id})
    # The author sees no approve button; a second team lead does and approves.
    assert "Approve revision" not in client_for(team_lead).get(version.get_absolute_url()).content.decode()
    lead2 = second_team_lead()
    assert "Approve revision" in client_for(lead2).get(version.get_absolute_url()).content.decode()
    client_for(lead2).post(url, {"action": "approve", "revision": version.current_revision_id})
    playbook.refresh_from_db()
    assert playbook.active_version == version
    # A communicator cannot approve even with the form.
    assert client_for(communicator).post(url, {"action": "approve", "revision": 1}).status_code == 403
