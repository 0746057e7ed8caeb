"""Browser test in headless Chromium: a team lead activates a playbook in the war room, a communicator completes a task."""

import pytest
from playwright.sync_api import expect

from incidents.checklist.models import IncidentTask, TaskStatus
from playbooks.tests.playbook_helpers import active_playbook, second_team_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_team_lead_activates_a_playbook_and_a_communicator_completes_a_task(
    page, login_as, team_lead, communicator, incident, password
):
    playbook = active_playbook(author=second_team_lead(), approver=team_lead)

    # The team lead opens the war room: no checklist yet, then activates the playbook.
    login_as(page, team_lead, password)
    page.goto(incident.get_absolute_url())
    checklist = page.locator(".cd-checklist")
    expect(checklist.get_by_text("No playbook activated yet.")).to_be_visible()
    checklist.get_by_label("Playbook").select_option(label=f"{playbook.title} (English)")
    checklist.get_by_role("button", name="Activate playbook").click()
    expect(page.get_by_role("status")).to_contain_text(f"Playbook “{playbook.title}” activated.")
    tasks = page.locator(".cd-checklist .cd-task")
    expect(tasks).to_have_count(3)
    expect(tasks.nth(0)).to_contain_text("Confirm the facts with the product team")
    expect(tasks.nth(1)).to_contain_text("Publish the holding statement")

    # Activating again adds nothing.
    checklist.get_by_role("button", name="Activate playbook").click()
    expect(page.get_by_role("status")).to_contain_text("already active on this incident: nothing added.")
    expect(tasks).to_have_count(3)

    # The communicator completes the first task from the war room.
    page.context.clear_cookies()
    login_as(page, communicator, password)
    page.goto(incident.get_absolute_url())
    first = page.locator(".cd-checklist .cd-task").filter(has_text="Confirm the facts with the product team")
    expect(first.locator(".cd-task-status")).to_have_text("Open")
    first.get_by_role("button", name="Done").click()
    done_text = "Task done: Confirm the facts with the product team"
    expect(page.get_by_role("status")).to_contain_text(done_text)
    # The timeline records it too.
    expect(page.locator(".cd-timeline-body").filter(has_text=done_text)).to_be_visible()
    first = page.locator(".cd-checklist .cd-task").filter(has_text="Confirm the facts with the product team")
    expect(first.locator(".cd-task-status")).to_have_text("Done")
    expect(first.get_by_role("button", name="Reopen")).to_be_visible()

    task = IncidentTask.objects.get(incident=incident, position=1)
    assert task.status == TaskStatus.DONE
    assert task.completed_by == communicator
