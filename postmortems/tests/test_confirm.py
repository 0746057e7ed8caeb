"""Publishing a post-crisis review is confirmed, also without JavaScript (issue 17)."""

import pytest
from django.urls import reverse

from crisisdesk.review.models import ReviewStatus
from postmortems.models import PostmortemReview
from postmortems.tests.helpers import resolved_review, second_team_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(client, team_lead, incident):
    review = resolved_review(lead=team_lead, incident=incident)
    url = reverse("postmortems:transition", args=[review.pk])
    client.force_login(team_lead)
    client.post(url, {"action": "submit"})
    client.force_login(second_team_lead())
    client.post(url, {"action": "approve", "revision": review.current_revision_id})
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED
    client.force_login(team_lead)
    return review


def test_publish_asks_first_then_publishes(client, approved):
    url = reverse("postmortems:transition", args=[approved.pk])
    data = {"action": "publish", "revision": approved.current_revision_id}
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Publish “{approved.title}” to the library of post-crisis reviews?" in body
    assert f'href="{reverse("postmortems:detail", args=[approved.pk])}">Cancel</a>' in body
    assert PostmortemReview.objects.get(pk=approved.pk).status == ReviewStatus.APPROVED

    detail = client.get(reverse("postmortems:detail", args=[approved.pk])).content.decode()
    assert f'data-confirm="Publish “{approved.title}” to the library of post-crisis reviews?"' in detail

    assert client.post(url, {**data, "confirmed": "1"}).status_code == 302
    assert PostmortemReview.objects.get(pk=approved.pk).status == ReviewStatus.PUBLISHED


def test_an_outsider_gets_no_confirmation_page(client_for, outsider, approved):
    url = reverse("postmortems:transition", args=[approved.pk])
    response = client_for(outsider).post(url, {"action": "publish", "revision": approved.current_revision_id})
    assert response.status_code == 404
    assert PostmortemReview.objects.get(pk=approved.pk).status == ReviewStatus.APPROVED
