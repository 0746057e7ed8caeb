"""A submitted playbook version reaches a team lead's review queue and its review page works."""

import pytest
from django.urls import reverse

from crisisdesk.review import services as review
from playbooks.tests.playbook_helpers import make_playbook, second_team_lead

pytestmark = pytest.mark.django_db


def test_team_lead_queue_lists_a_submitted_version_with_a_working_review_link(client_for, team_lead):
    author = second_team_lead()
    playbook = make_playbook(author=author)
    version = playbook.versions.get()
    review.review_submit(actor=author, item=version)

    client = client_for(team_lead)
    queue = client.get(reverse("review:queue"))
    assert queue.status_code == 200
    review_url = reverse("review:review", kwargs={"kind": "playbookversion", "pk": version.pk})
    content = queue.content.decode()
    assert review_url in content
    assert "Viral customer complaint v1" in content

    page = client.get(review_url)
    assert page.status_code == 200
    page_content = page.content.decode()
    # The page links back to the version and posts decisions to the version's own transition URL.
    assert version.get_absolute_url() in page_content
    assert version.get_transition_url() in page_content
    assert "A complaint passes 10,000 shares" in page_content


def test_author_does_not_see_their_own_version_in_the_queue(client_for):
    author = second_team_lead()
    version = make_playbook(author=author).versions.get()
    review.review_submit(actor=author, item=version)
    queue = client_for(author).get(reverse("review:queue"))
    assert queue.status_code == 200
    assert reverse("review:review", kwargs={"kind": "playbookversion", "pk": version.pk}) not in queue.content.decode()


def test_audit_trail_of_a_version_opens(client_for, team_lead):
    version = make_playbook(author=second_team_lead()).versions.get()
    response = client_for(team_lead).get(reverse("review:audit", kwargs={"kind": "playbookversion", "pk": version.pk}))
    assert response.status_code == 200
    assert version.get_absolute_url() in response.content.decode()
