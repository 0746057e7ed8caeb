"""API of playbooks, versions, tasks, roster and exercises: per persona, service rules (403/404/409/400), query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from crisisdesk.review.models import ReviewStatus
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, role
from incidents.checklist.models import IncidentTask, TaskStatus
from incidents.checklist.services import playbook_activate
from incidents.models import TimelineEntry, TimelineKind
from playbooks.models import Exercise, PlaybookVersion
from playbooks.roster.services import department_create, person_create
from playbooks.services import exercise_schedule
from playbooks.tests.playbook_helpers import active_playbook, make_playbook, second_team_lead

pytestmark = pytest.mark.django_db

PERSONAS = ["communicator", "legal", "team_lead", "observer", "outsider"]


@pytest.fixture
def api_for():
    def _client(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _client


@pytest.fixture
def playbook(team_lead):
    return active_playbook(author=second_team_lead(), approver=team_lead)


@pytest.fixture
def roster(team_lead):
    department = department_create(actor=team_lead, name="PR")
    person = person_create(
        actor=team_lead,
        full_name="Paul Press",
        department=department,
        phone="+33 6 00 00 00 00",
        responsibilities="Talks to journalists.",
        roles=[(role("spokesperson"), 1)],
    )
    return department, person


def url(name, **kwargs):
    return reverse(f"api:{name}", kwargs=kwargs or None)


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_and_details_per_persona(api_for, personas, playbook, roster, team_lead, incident, persona):
    department, person = roster
    playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    task = IncidentTask.objects.filter(incident=incident).first()
    exercise = exercise_schedule(actor=team_lead, playbook=playbook, title="Drill", scheduled_for=timezone.now())
    version = playbook.versions.get()
    client = api_for(personas[persona])
    lists = ["playbook-list", "playbookversion-list", "incidenttask-list", "person-list", "department-list"]
    for name in [*lists, "exercise-list"]:
        response = client.get(url(name))
        assert response.status_code == (403 if persona == "outsider" else 200), name
    details = [
        url("playbook-detail", pk=playbook.pk),
        url("playbookversion-detail", pk=version.pk),
        url("incidenttask-detail", pk=task.pk),
        url("person-detail", pk=person.pk),
        url("department-detail", pk=department.pk),
        url("exercise-detail", pk=exercise.pk),
    ]
    for detail in details:
        assert client.get(detail).status_code == (404 if persona == "outsider" else 200), detail


def test_version_detail_has_steps_and_review_fields(api_for, team_lead, playbook):
    version = playbook.versions.get()
    body = api_for(team_lead).get(url("playbookversion-detail", pk=version.pk)).json()
    assert [step["role"] for step in body["steps"]] == ["communications", "spokesperson", "customer_care"]
    assert body["status"] == "approved"
    assert body["steps"][0]["within_minutes"] == 15
    assert "withdraw" not in body["available_actions"]
    versions = api_for(team_lead).get(url("playbook-versions", pk=playbook.pk)).json()
    assert [v["number"] for v in versions] == [1]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("communicator", 403), ("legal", 403), ("team_lead", 201), ("observer", 403), ("outsider", 403)],
)
def test_create_playbook_per_persona(api_for, personas, persona, status):
    body = {
        "title": "Executive misconduct",
        "scenario": "executive_conduct",
        "trigger_criteria": "An allegation against an executive is published.",
        "channels": ["x", "press_release"],
        "steps": [{"title": "Call outside counsel", "role": "legal", "within_minutes": 30}],
    }
    response = api_for(personas[persona]).post(url("playbook-list"), body, format="json")
    assert response.status_code == status, response.content
    if status == 201:
        version = PlaybookVersion.objects.get(playbook_id=response.json()["id"])
        assert version.status == ReviewStatus.DRAFT
        assert version.steps.get().role.code == "legal"


def test_version_review_workflow_four_eyes(api_for, team_lead):
    author = second_team_lead()
    playbook = make_playbook(author=author)
    version = playbook.versions.get()
    detail = url("playbookversion-detail", pk=version.pk)

    assert api_for(author).post(f"{detail}submit/", {}, format="json").status_code == 200
    # The author may not approve their own version.
    response = api_for(author).post(f"{detail}approve/", {"revision": 1}, format="json")
    assert response.status_code == 403
    # A stale / unknown revision number is a field error.
    assert api_for(team_lead).post(f"{detail}approve/", {"revision": 9}, format="json").status_code == 400
    response = api_for(team_lead).post(f"{detail}approve/", {"revision": 1}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    playbook.refresh_from_db()
    assert playbook.active_version == version
    # Approved again: not allowed from this state.
    assert api_for(team_lead).post(f"{detail}reject/", {"comment": "No"}, format="json").status_code == 409
    # Versions are never withdrawn: there is no such action.
    assert api_for(team_lead).post(f"{detail}withdraw/", {"reason": "x"}, format="json").status_code == 404
    # An approved version is not edited.
    assert api_for(team_lead).patch(detail, {"summary": "x"}, format="json").status_code == 403


def test_patch_refuses_status_and_edits_a_draft(api_for, team_lead):
    author = second_team_lead()
    version = make_playbook(author=author).versions.get()
    detail = url("playbookversion-detail", pk=version.pk)
    assert api_for(author).patch(detail, {"status": "approved"}, format="json").status_code == 400
    response = api_for(author).patch(
        detail, {"steps": [{"title": "Only step", "role": "spokesperson", "within_minutes": 5}]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert [s["title"] for s in response.json()["steps"]] == ["Only step"]
    assert response.json()["current_revision"]["number"] == 2


def test_new_version_and_request_changes(api_for, team_lead, playbook):
    response = api_for(team_lead).post(url("playbook-new-version", pk=playbook.pk), {}, format="json")
    assert response.status_code == 201
    assert response.json()["number"] == 2
    # One open version at a time.
    assert api_for(team_lead).post(url("playbook-new-version", pk=playbook.pk), {}, format="json").status_code == 409
    version = playbook.versions.get(number=2)
    detail = url("playbookversion-detail", pk=version.pk)
    api_for(team_lead).post(f"{detail}submit/", {}, format="json")
    other = second_team_lead()
    response = api_for(other).post(f"{detail}request-changes/", {"comment": "Add the CEO"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "draft"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("communicator", 403), ("legal", 403), ("team_lead", 201), ("observer", 403)],
)
def test_activate_per_persona(api_for, personas, playbook, incident, persona, status):
    response = api_for(personas[persona]).post(
        url("playbook-activate", pk=playbook.pk), {"incident": incident.reference}, format="json"
    )
    assert response.status_code == status, response.content
    if status == 201:
        assert [task["position"] for task in response.json()] == [1, 2, 3]


def test_activate_twice_creates_nothing_and_confidential_is_hidden(
    api_for, team_lead, communicator, playbook, incident, confidential_incident
):
    client = api_for(team_lead)
    first = client.post(url("playbook-activate", pk=playbook.pk), {"incident": incident.reference}, format="json")
    second = client.post(url("playbook-activate", pk=playbook.pk), {"incident": incident.reference}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert IncidentTask.objects.filter(incident=incident).count() == 3
    # A confidential incident the user cannot see reads as missing (400 on the field, no probe).
    response = api_for(communicator).post(
        url("playbook-activate", pk=playbook.pk), {"incident": confidential_incident.reference}, format="json"
    )
    assert response.status_code == 400
    assert "incident" in response.json()
    # A playbook with no approved version cannot be activated.
    draft = make_playbook(author=team_lead, title="Recall")
    response = client.post(url("playbook-activate", pk=draft.pk), {"incident": incident.reference}, format="json")
    assert response.status_code == 409


def test_task_actions(api_for, team_lead, communicator, observer, outsider, playbook, incident):
    playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    task = IncidentTask.objects.filter(incident=incident).order_by("position").first()
    detail = url("incidenttask-detail", pk=task.pk)
    assert api_for(observer).post(f"{detail}complete/", {}, format="json").status_code == 403
    assert api_for(outsider).post(f"{detail}complete/", {}, format="json").status_code == 404
    response = api_for(communicator).post(f"{detail}complete/", {"note": "Confirmed"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "done"
    assert api_for(communicator).post(f"{detail}complete/", {}, format="json").status_code == 409
    assert api_for(communicator).post(f"{detail}reopen/", {}, format="json").json()["status"] == "open"
    assert api_for(communicator).post(f"{detail}skip/", {"reason": ""}, format="json").status_code == 400
    response = api_for(communicator).post(f"{detail}skip/", {"reason": "Not relevant"}, format="json")
    assert response.json()["status"] == "skipped"
    assert TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.TASK, data__task=task.pk).count() == 3
    # Assigning: team leads only.
    body = {"assignee": communicator.pk}
    assert api_for(communicator).post(f"{detail}assign/", body, format="json").status_code == 403
    response = api_for(team_lead).post(f"{detail}assign/", body, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"]["id"] == communicator.pk


def test_tasks_of_confidential_incidents_are_hidden(api_for, team_lead, communicator, playbook, confidential_incident):
    MembershipFactory(incident=confidential_incident, user=team_lead, role=role("communications"))
    playbook_activate(actor=team_lead, incident=confidential_incident, playbook=playbook)
    task = IncidentTask.objects.filter(incident=confidential_incident).first()
    assert api_for(communicator).get(url("incidenttask-list")).json()["results"] == []
    assert api_for(communicator).get(url("incidenttask-detail", pk=task.pk)).status_code == 404
    assert len(api_for(team_lead).get(url("incidenttask-list")).json()["results"]) == 3


def test_exercise_schedule_and_run(api_for, team_lead, communicator, playbook):
    body = {"playbook": playbook.pk, "title": "Autumn drill", "scheduled_for": timezone.now().isoformat()}
    assert api_for(communicator).post(url("exercise-list"), body, format="json").status_code == 403
    response = api_for(team_lead).post(url("exercise-list"), body, format="json")
    assert response.status_code == 201, response.content
    exercise = Exercise.objects.get(pk=response.json()["id"])
    run = url("exercise-run", pk=exercise.pk)
    assert api_for(communicator).post(run, {}, format="json").status_code == 403
    response = api_for(team_lead).post(run, {}, format="json")
    assert response.status_code == 200
    exercise.refresh_from_db()
    assert response.json()["incident"] == exercise.incident.reference
    assert exercise.incident.is_exercise
    assert api_for(team_lead).post(run, {}, format="json").status_code == 409


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_counts_are_flat(api_for, team_lead, admin_user):
    client = api_for(team_lead)
    author = second_team_lead()
    department = department_create(actor=team_lead, name="Marketing")

    def add(n, start):
        for i in range(start, start + n):
            pb = active_playbook(author=author, approver=team_lead, title=f"Playbook {i}")
            incident = IncidentFactory(title=f"Incident {i}")
            MembershipFactory(incident=incident, user=team_lead, role=role("communications"))
            playbook_activate(actor=team_lead, incident=incident, playbook=pb)
            exercise_schedule(actor=team_lead, playbook=pb, title=f"Drill {i}", scheduled_for=timezone.now())
            person_create(
                actor=team_lead, full_name=f"Person {i}", department=department, roles=[(role("spokesperson"), 1)]
            )

    paths = [
        url("playbook-list"),
        url("playbookversion-list"),
        url("incidenttask-list"),
        url("person-list"),
        url("exercise-list"),
    ]
    add(1, 0)
    one = {path: _count(client, path) for path in paths}
    add(16, 1)  # tasks: 3 per incident, 51 rows (two pages' worth at most the page size)
    many = {path: _count(client, path) for path in paths}
    assert many == one
    assert IncidentTask.objects.filter(status=TaskStatus.OPEN).count() == 51


REFUSED = [("communicator", 403), ("legal", 403), ("observer", 403), ("team_lead", None)]


@pytest.mark.parametrize(("persona", "refused"), [*REFUSED, ("outsider", 404)])
def test_roster_writes_per_persona(api_for, personas, roster, persona, refused):
    department, person = roster
    client = api_for(personas[persona])
    body = {"full_name": "Carla Care", "department": department.pk, "languages": ["fr", "en"]}
    body["roles"] = [{"role": "customer_care", "priority": 2}]
    created = client.post(url("person-list"), body, format="json")
    new_department = client.post(url("department-list"), {"name": "Customer service"}, format="json")
    changed = client.patch(url("person-detail", pk=person.pk), {"phone": "+33 1 23", "roles": []}, format="json")
    renamed = client.patch(url("department-detail", pk=department.pk), {"name": "Press office"}, format="json")
    if refused is None:
        assert (created.status_code, new_department.status_code) == (201, 201), created.content
        assert created.json()["languages"] == ["en", "fr"]
        assert created.json()["roles"] == [{"role": "customer_care", "priority": 2}]
        assert (changed.status_code, renamed.status_code) == (200, 200), changed.content
        assert changed.json()["phone"] == "+33 1 23"
        assert changed.json()["roles"] == []
        assert renamed.json()["name"] == "Press office"
    else:
        # Lists: 403 for everyone refused (the outsider lacks the read permission); objects: 404 for the outsider.
        assert (created.status_code, new_department.status_code) == (403, 403)
        assert (changed.status_code, renamed.status_code) == (refused, refused)
        person.refresh_from_db()
        assert person.phone == "+33 6 00 00 00 00"
        assert person.capabilities.count() == 1


def test_roster_bad_input_is_a_field_error(api_for, team_lead, roster):
    department, person = roster
    client = api_for(team_lead)
    response = client.post(url("person-list"), {"full_name": "", "languages": ["xx"]}, format="json")
    assert response.status_code == 400
    assert "full_name" in response.json()
    response = client.patch(url("person-detail", pk=person.pk), {"languages": ["xx"]}, format="json")
    assert response.status_code == 400
    assert "languages" in response.json()
    response = client.patch(url("person-detail", pk=person.pk), {"backup": person.pk}, format="json")
    assert response.status_code == 400
    assert "backup" in response.json()
    response = client.patch(url("person-detail", pk=person.pk), {"id": 9}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["id"])
    response = client.post(url("department-list"), {"name": department.name}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()


@pytest.mark.parametrize(("persona", "refused"), [*REFUSED, ("outsider", 404)])
def test_exercise_writes_per_persona(api_for, personas, team_lead, playbook, roster, persona, refused):
    _, person = roster
    exercise = exercise_schedule(actor=team_lead, playbook=playbook, title="Drill", scheduled_for=timezone.now())
    other = exercise_schedule(actor=team_lead, playbook=playbook, title="Drill 2", scheduled_for=timezone.now())
    client = api_for(personas[persona])
    detail = url("exercise-detail", pk=exercise.pk)
    body = {
        "findings": "Legal was reached late.",
        "follow_up_actions": "Add a backup lawyer.",
        "participants": [person.pk],
    }
    patched = client.patch(detail, body, format="json")
    completed = client.post(url("exercise-complete", pk=exercise.pk), {}, format="json")
    cancelled = client.post(url("exercise-cancel", pk=other.pk), {}, format="json")
    exercise.refresh_from_db()
    other.refresh_from_db()
    if refused is None:
        assert patched.status_code == 200, patched.content
        assert patched.json()["participants"] == [person.pk]
        assert exercise.findings == "Legal was reached late."
        assert completed.status_code == 200
        assert completed.json()["status"] == "completed"
        assert exercise.completed_at is not None
        assert (cancelled.status_code, other.status) == (200, "cancelled")
    else:
        assert (patched.status_code, completed.status_code, cancelled.status_code) == (refused, refused, refused)
        assert (exercise.status, exercise.findings, other.status) == ("scheduled", "", "scheduled")


def test_exercise_invalid_transition_and_bad_input(api_for, team_lead, playbook):
    exercise = exercise_schedule(actor=team_lead, playbook=playbook, title="Drill", scheduled_for=timezone.now())
    client = api_for(team_lead)
    detail = url("exercise-detail", pk=exercise.pk)
    response = client.patch(detail, {"scheduled_for": "not a date", "status": "completed"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()
    response = client.patch(detail, {"scheduled_for": "not a date"}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["scheduled_for"])
    assert client.post(url("exercise-cancel", pk=exercise.pk), {}, format="json").status_code == 200
    # Cancelled is final: completing it, or recording findings on it, conflicts with its state.
    response = client.post(url("exercise-complete", pk=exercise.pk), {}, format="json")
    assert response.status_code == 409
    assert (response.json()["current"], response.json()["requested"]) == ("cancelled", "completed")
    assert client.patch(detail, {"findings": "x"}, format="json").status_code == 409
    exercise.refresh_from_db()
    assert exercise.status == "cancelled"


@pytest.mark.parametrize(("persona", "refused"), [*REFUSED, ("outsider", 404)])
def test_playbook_patch_per_persona(api_for, personas, playbook, communicator, persona, refused):
    detail = url("playbook-detail", pk=playbook.pk)
    body = {"title": "Viral complaint (2025)", "owner": communicator.pk, "review_due": "2030-01-31"}
    response = api_for(personas[persona]).patch(detail, body, format="json")
    playbook.refresh_from_db()
    if refused is None:
        assert response.status_code == 200, response.content
        assert response.json()["owner"]["id"] == communicator.pk
        assert (playbook.title, str(playbook.review_due)) == ("Viral complaint (2025)", "2030-01-31")
    else:
        assert response.status_code == refused
        assert playbook.title == "Viral customer complaint"


def test_playbook_patch_bad_input_and_owner_may_edit(api_for, team_lead, communicator, playbook):
    detail = url("playbook-detail", pk=playbook.pk)
    client = api_for(team_lead)
    response = client.patch(detail, {"title": "", "review_due": "soon"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"title", "review_due"}
    response = client.patch(detail, {"trigger_criteria": "x"}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["trigger_criteria"])
    assert client.patch(detail, {"owner": communicator.pk}, format="json").status_code == 200
    # The playbook's owner keeps its housekeeping even without the team lead's permission.
    response = api_for(communicator).patch(detail, {"review_due": None}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["review_due"] is None
