"""Playbook steps in the admin: edited with the version through ``playbook_version_update``, read-only once approved."""

import pytest

from crisisdesk.review import services as review
from crisisdesk.review.models import ReviewStatus
from crisisdesk.roles import TEAM_LEAD
from crisisdesk.testing.factories import UserFactory
from incidents.tests.test_admin import change_form_data, change_url
from playbooks.tests.playbook_helpers import active_playbook, make_playbook

pytestmark = pytest.mark.django_db

S = ReviewStatus


@pytest.fixture
def author():
    return UserFactory(username="author", role=TEAM_LEAD, is_staff=True)


@pytest.fixture
def draft(author):
    return make_playbook(author=author).versions.get()


def titles(version) -> list[str]:
    return list(version.steps.order_by("position").values_list("title", flat=True))


def step_keys(data) -> int:
    return int(data["steps-TOTAL_FORMS"])


def test_draft_steps_are_edited_reordered_added_and_deleted_in_one_revision(client_for, author, draft):
    before = titles(draft)
    assert len(before) >= 3
    client = client_for(author)
    url = change_url(draft)
    data = change_form_data(client, url)
    total = step_keys(data)
    assert total == len(before)
    # Rename the first, move the last to the top, delete the second, add one at the end.
    data["steps-0-title"] = "Confirm the facts (renamed)"
    data[f"steps-{total - 1}-position"] = "0"
    data["steps-1-DELETE"] = "on"
    data.update(
        {
            f"steps-{total}-title": "Thank the community",
            f"steps-{total}-position": "",
            f"steps-{total}-within_minutes": "240",
            f"steps-{total}-instructions": "",
            f"steps-{total}-role": "",
            "steps-TOTAL_FORMS": str(total + 1),
        }
    )
    revisions = draft.revisions().count()

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert titles(draft) == [before[-1], "Confirm the facts (renamed)", *before[2:-1], "Thank the community"]
    assert list(draft.steps.order_by("position").values_list("position", flat=True)) == list(range(1, len(before) + 1))
    assert draft.steps.get(title="Thank the community").within_minutes == 240
    assert draft.status == S.DRAFT
    assert draft.revisions().count() == revisions + 1


def test_an_edit_of_an_in_review_version_voids_the_review(client_for, author, draft, team_lead):
    review.review_submit(actor=author, item=draft)
    draft.refresh_from_db()
    assert draft.status == S.IN_REVIEW
    client = client_for(author)
    url = change_url(draft)
    data = change_form_data(client, url)
    data["steps-0-within_minutes"] = "5"

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert draft.status == S.DRAFT
    assert draft.steps.order_by("position").first().within_minutes == 5


def test_a_bad_step_saves_nothing_and_names_the_problem(client_for, author, draft):
    before = titles(draft)
    client = client_for(author)
    url = change_url(draft)
    data = change_form_data(client, url)
    data["summary"] = "Tightened"
    data["steps-0-title"] = ""
    data["steps-1-within_minutes"] = "-3"
    revisions = draft.revisions().count()

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    inline = response.context["inline_admin_formsets"][0].formset
    assert "title" in inline.forms[0].errors and "within_minutes" in inline.forms[1].errors
    draft.refresh_from_db()
    assert titles(draft) == before and draft.summary == ""
    assert draft.revisions().count() == revisions


def test_a_service_refusal_of_the_fields_leaves_the_steps_alone(client_for, author, draft):
    before = titles(draft)
    client = client_for(author)
    url = change_url(draft)
    data = change_form_data(client, url)
    data["steps-0-title"] = "Renamed"
    data["channels"] = ["carrier-pigeon"]

    response = client.post(url, data)

    assert response.status_code == 200
    draft.refresh_from_db()
    assert titles(draft) == before


def test_approved_steps_are_read_only(client_for, author, team_lead):
    version = active_playbook(author=author, approver=team_lead, title="Recall").versions.get()
    before = titles(version)
    client = client_for(author)
    url = change_url(version)
    page = client.get(url).content.decode()
    assert 'name="steps-0-title"' not in page
    data = change_form_data(client, url)
    data.update({"steps-0-title": "Forged", "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0"})

    client.post(url, data)

    version.refresh_from_db()
    assert titles(version) == before and version.status == S.APPROVED
    assert version.revisions().count() == 1


def test_a_communicator_edits_steps_as_in_the_war_room(admin_as, draft):
    """The review policy lets communicators edit a draft version (``change_playbookversion``): steps included."""
    client = admin_as("communicator")
    url = change_url(draft)
    data = change_form_data(client, url)
    data["steps-0-title"] = "Renamed by comms"
    assert client.post(url, data).status_code == 302
    assert titles(draft)[0] == "Renamed by comms"


@pytest.mark.parametrize("persona", ["legal", "observer", "outsider"])
def test_other_roles_cannot_edit_steps(admin_as, persona, draft):
    before = titles(draft)
    client = admin_as(persona)
    url = change_url(draft)
    page = client.get(url)
    if page.status_code == 200:
        assert 'name="steps-0-title"' not in page.content.decode()
        data = change_form_data(client, url)
        data.update({"steps-0-title": "Forged", "steps-0-position": "1"})
        client.post(url, data)
    draft.refresh_from_db()
    assert titles(draft) == before
    assert draft.revisions().count() == 1
