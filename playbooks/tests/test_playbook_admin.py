"""Admin of playbooks, versions, roster, exercises and incident tasks: pages open, writes go through the services."""

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisdesk.review.models import ReviewStatus
from crisisdesk.roles import TEAM_LEAD
from crisisdesk.testing.factories import MembershipFactory, UserFactory, role
from incidents.checklist.models import IncidentTask, TaskStatus
from incidents.checklist.services import playbook_activate
from incidents.models import TimelineEntry, TimelineKind
from incidents.tests.test_admin import change_form_data, change_url, messages_of
from playbooks.models import Exercise, Playbook, PlaybookVersion
from playbooks.roster.models import Department, Person, RoleCapability
from playbooks.roster.services import department_create, person_create
from playbooks.services import exercise_schedule
from playbooks.tests.playbook_helpers import active_playbook, make_playbook

pytestmark = pytest.mark.django_db

S = ReviewStatus


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def author():
    return staff(UserFactory(username="lead2", role=TEAM_LEAD))


@pytest.fixture
def playbook(author, team_lead):
    return active_playbook(author=author, approver=team_lead)


@pytest.fixture
def roster(team_lead):
    department = department_create(actor=team_lead, name="Customer service")
    backup = person_create(actor=team_lead, full_name="Bea Backup", department=department, phone="+33 1 00 00 00 01")
    person = person_create(
        actor=team_lead,
        full_name="Carla Care",
        department=department,
        phone="+33 1 00 00 00 02",
        backup=backup,
        roles=[(role("customer_care"), 1)],
    )
    return department, person


@pytest.fixture
def task(playbook, team_lead, incident):
    playbook_activate(actor=team_lead, incident=incident, playbook=playbook)
    return IncidentTask.objects.filter(incident=incident).order_by("position").first()


def run_action(client, model: str, action: str, objects, **extra):
    data = {"action": action, "_selected_action": [obj.pk for obj in objects], **extra}
    return client.post(reverse(f"admin:{model}_changelist"), data)


def test_every_page_opens_for_a_superuser(client_for, admin_user, playbook, roster, task, team_lead):
    exercise = exercise_schedule(actor=team_lead, playbook=playbook, title="Spring drill", scheduled_for=timezone.now())
    department, person = roster
    client = client_for(admin_user)
    version = playbook.versions.get()
    capability = RoleCapability.objects.get(person=person)
    objects = [playbook, version, department, person, capability, exercise, task]
    for obj in objects:
        opts = obj._meta
        changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code == 200, opts.model_name
        change = client.get(change_url(obj))
        assert change.status_code == 200, opts.model_name
    for name in ("playbook", "department", "person", "exercise"):
        assert client.get(reverse(f"admin:playbooks_{name}_add")).status_code == 200, name
    # Versions are drafted from the newest one, tasks come from activations, capabilities from people.
    for name in ("playbooks_playbookversion", "incidents_incidenttask", "playbooks_rolecapability"):
        assert client.get(reverse(f"admin:{name}_add")).status_code == 403, name
    steps = client.get(change_url(version)).content.decode()
    assert "Confirm the facts with the product team" in steps


def test_add_playbook_drafts_a_first_version_through_the_service(client_for, admin_user, team_lead):
    response = client_for(admin_user).post(
        reverse("admin:playbooks_playbook_add"),
        {
            "title": "Data breach",
            "scenario": "data_breach",
            "language": "en",
            "owner": team_lead.pk,
            "review_due": "",
            "trigger_criteria": "Personal data may have left our systems.",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    playbook = Playbook.objects.get()
    version = playbook.versions.get()
    assert (playbook.owner, version.number, version.status) == (team_lead, 1, S.DRAFT)
    assert version.trigger_criteria == "Personal data may have left our systems."
    assert playbook.active_version is None


@pytest.mark.parametrize("state", [S.DRAFT, S.APPROVED])
def test_change_form_post_cannot_change_a_versions_status(client_for, admin_user, author, team_lead, state):
    playbook = make_playbook(author=author)
    if state == S.APPROVED:
        playbook = active_playbook(author=author, approver=team_lead, title="Product recall")
    version = playbook.versions.get()
    url = change_url(version)
    client = client_for(admin_user)
    data = change_form_data(client, url)
    data.update({"status": "approved" if state == S.DRAFT else "draft", "number": "7", "summary": "Tightened"})

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    version.refresh_from_db()
    assert version.status == state
    assert version.number == 1
    if state == S.APPROVED:
        # An approved version is a record: its content is read-only too.
        assert version.summary == ""
        assert version.revisions().count() == 1
    else:
        # A draft is edited through the service: a new revision, still a draft.
        assert version.summary == "Tightened"
        assert version.revisions().count() == 2
    playbook.refresh_from_db()
    assert playbook.active_version_id == (version.pk if state == S.APPROVED else None)


def test_review_actions_go_through_the_engine_with_four_eyes(client, author, team_lead):
    staff(team_lead)
    playbook = make_playbook(author=author)
    version = playbook.versions.get()
    model = "playbooks_playbookversion"

    client.force_login(author)
    response = run_action(client, model, "submit_items", [version])
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == S.IN_REVIEW

    # The author cannot approve their own version, even in the admin.
    extra = {"apply": "1", "comment": "Fine.", f"revision_{version.pk}": version.current_revision.pk}
    response = run_action(client, model, "approve_items", [version], **extra)
    version.refresh_from_db()
    assert version.status == S.IN_REVIEW
    assert any("Viral customer complaint v1:" in m for m in messages_of(response))
    playbook.refresh_from_db()
    assert playbook.active_version is None

    client.force_login(team_lead)
    response = run_action(client, model, "approve_items", [version], **extra)
    assert response.status_code == 302
    version.refresh_from_db()
    playbook.refresh_from_db()
    assert version.status == S.APPROVED
    assert playbook.active_version == version
    assert version.decisions().get().reviewer == team_lead


def test_there_is_no_publish_or_withdraw_action_on_versions(client_for, admin_user):
    response = client_for(admin_user).get(reverse("admin:playbooks_playbookversion_changelist"))
    actions = [value for value, _label in response.context["action_form"].fields["action"].choices]
    assert "submit_items" in actions and "approve_items" in actions
    assert "publish_items" not in actions and "withdraw_items" not in actions


def test_draft_new_version_action_goes_through_the_service(client_for, admin_user, playbook):
    response = run_action(client_for(admin_user), "playbooks_playbook", "draft_new_version", [playbook])
    assert response.status_code == 302
    new = playbook.versions.order_by("-number").first()
    assert (new.number, new.status) == (2, S.DRAFT)
    assert new.steps.count() == 3
    # A second draft while one is open is refused, and reported.
    response = run_action(client_for(admin_user), "playbooks_playbook", "draft_new_version", [playbook])
    assert playbook.versions.count() == 2
    assert any("already being drafted" in m for m in messages_of(response))


def test_person_form_writes_through_the_service_and_keeps_priorities(client_for, admin_user, roster):
    _department, person = roster
    RoleCapability.objects.filter(person=person).update(priority=2)
    client = client_for(admin_user)
    url = change_url(person)
    data = change_form_data(client, url)
    data.update({"phone": "+33 6 11 22 33 44", "role_choices": [role("customer_care").pk, role("spokesperson").pk]})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.phone == "+33 6 11 22 33 44"
    priorities = dict(person.capabilities.values_list("role__code", "priority"))
    assert priorities == {"customer_care": 2, "spokesperson": 1}


def test_department_edit_goes_through_the_service(client_for, admin_user, roster, observer):
    department, _person = roster
    client = client_for(admin_user)
    response = client.post(change_url(department), {"name": "Customer care", "description": "Phones and chat"})
    assert response.status_code == 302
    department.refresh_from_db()
    assert department.name == "Customer care"
    assert Department.objects.count() == 1


def test_exercise_actions_run_and_complete_through_the_services(client_for, admin_user, playbook, team_lead):
    exercise = exercise_schedule(actor=team_lead, playbook=playbook, title="Spring drill", scheduled_for=timezone.now())
    client = client_for(admin_user)
    run_action(client, "playbooks_exercise", "run_exercises", [exercise])
    exercise.refresh_from_db()
    assert exercise.incident is not None and exercise.incident.is_exercise
    assert exercise.incident.tasks.count() == 3
    run_action(client, "playbooks_exercise", "mark_completed", [exercise])
    exercise.refresh_from_db()
    assert exercise.status == "completed"
    # Status is not in the change form: a POST cannot set it back.
    data = change_form_data(client, change_url(exercise))
    data.update({"status": "scheduled", "findings": "Spokesperson unreachable for 40 minutes."})
    assert client.post(change_url(exercise), data).status_code == 302
    exercise = Exercise.objects.get(pk=exercise.pk)
    assert exercise.status == "completed"
    assert exercise.findings == "Spokesperson unreachable for 40 minutes."


def test_task_actions_go_through_the_services_and_write_the_timeline(client_for, admin_user, task):
    client = client_for(admin_user)
    model = "incidents_incidenttask"
    run_action(client, model, "complete_tasks", [task])
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert TimelineEntry.objects.filter(incident=task.incident, kind=TimelineKind.TASK, data__task=task.pk).count() == 1

    other = IncidentTask.objects.filter(incident=task.incident, status=TaskStatus.OPEN).first()
    confirm = run_action(client, model, "skip_tasks", [other])
    assert confirm.status_code == 200
    assert "Why these tasks are skipped" in confirm.content.decode()
    response = run_action(client, model, "skip_tasks", [other], apply="1", comment="")
    other.refresh_from_db()
    assert other.status == TaskStatus.OPEN
    assert any("Say why" in m for m in messages_of(response))
    run_action(client, model, "skip_tasks", [other], apply="1", comment="No journalist asked.")
    other.refresh_from_db()
    assert (other.status, other.note) == (TaskStatus.SKIPPED, "No journalist asked.")

    # A change-form POST cannot change a task's status; the assignee goes through task_assign.
    data = change_form_data(client, change_url(other))
    data.update({"status": "open", "assignee": admin_user.pk})
    assert client.post(change_url(other), data).status_code == 302
    other.refresh_from_db()
    assert (other.status, other.assignee) == (TaskStatus.SKIPPED, admin_user)


def test_tasks_of_a_confidential_incident_stay_hidden_from_non_members(
    client, playbook, team_lead, confidential_incident
):
    MembershipFactory(incident=confidential_incident, user=team_lead, role=role("communications"))
    playbook_activate(actor=team_lead, incident=confidential_incident, playbook=playbook)
    outsider_staff = staff(UserFactory(username="staff_lead", role=TEAM_LEAD))
    client.force_login(outsider_staff)
    response = client.get(reverse("admin:incidents_incidenttask_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    hidden = IncidentTask.objects.filter(incident=confidential_incident).first()
    assert client.get(change_url(hidden)).status_code == 302  # the admin's "does not exist" redirect
    client.force_login(staff(team_lead))
    assert client.get(reverse("admin:incidents_incidenttask_changelist")).context["cl"].result_count == 3


def test_versions_are_never_deleted(client_for, admin_user, playbook):
    version = playbook.versions.get()
    url = reverse("admin:playbooks_playbookversion_delete", args=[version.pk])
    assert client_for(admin_user).post(url, {"post": "yes"}).status_code == 403
    assert PlaybookVersion.objects.filter(pk=version.pk).exists()
    assert Person.objects.count() == 0
