"""The API: the same rules as the browser (engine transitions, 403/404/409), sections, action items, metrics JSON."""

import pytest

from postmortems.models import PostmortemReview
from postmortems.tests.helpers import T0, play_crisis, resolved_review, second_team_lead


@pytest.fixture
def draft(team_lead, incident):
    return resolved_review(lead=team_lead, incident=incident)


@pytest.mark.django_db
def test_edit_sections_and_walk_the_workflow(client, team_lead, draft):
    client.force_login(team_lead)
    url = f"/api/v1/postmortems/{draft.pk}/"
    response = client.patch(url, {"lessons": "It was careless.", "impact_reach": 5000}, content_type="application/json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["sections"]["lessons"] == "It was careless."
    assert data["wording_warnings"] == {"lessons": ["careless"]}
    assert data["current_revision"]["number"] == 2
    # A status is never written by PATCH: it is refused (400 naming it), not silently ignored.
    refused = client.patch(url, {"status": "published"}, content_type="application/json")
    assert refused.status_code == 400 and "status" in refused.json()
    assert client.get(url).json()["status"] == "draft"
    assert client.post(url + "submit/", {}, content_type="application/json").status_code == 200
    # The author may not approve: 403.
    assert client.post(url + "approve/", {"revision": 2}, content_type="application/json").status_code == 403
    # Publishing before approval: 409.
    assert client.post(url + "publish/", {}, content_type="application/json").status_code == 409
    client.force_login(second_team_lead())
    assert client.post(url + "approve/", {"revision": 1}, content_type="application/json").status_code == 409
    assert client.post(url + "approve/", {"revision": 2}, content_type="application/json").status_code == 200
    client.force_login(team_lead)
    response = client.post(url + "publish/", {"revision": 2}, content_type="application/json")
    assert response.json()["status"] == "published"


@pytest.mark.django_db
def test_sections_endpoint(client_for, team_lead, observer, draft):
    url = f"/api/v1/postmortems/{draft.pk}/sections/"
    assert client_for(observer).get(url).json()["title"] == draft.title
    assert client_for(observer).patch(url, {"summary": "x"}, content_type="application/json").status_code == 403
    response = client_for(team_lead).patch(url, {"summary": "What happened."}, content_type="application/json")
    assert response.json()["summary"] == "What happened."
    assert PostmortemReview.objects.get(pk=draft.pk).summary == "What happened."


@pytest.mark.django_db
def test_action_items_api(client, team_lead, communicator, observer, draft):
    client.force_login(team_lead)
    payload = {"review": draft.pk, "title": "Size check", "owner": communicator.pk, "due_date": "2020-01-01"}
    response = client.post("/api/v1/action-items/", payload, content_type="application/json")
    assert response.status_code == 201, response.json()
    item_id = response.json()["id"]
    assert response.json()["overdue"] is True
    client.force_login(observer)
    assert client.post("/api/v1/action-items/", payload, content_type="application/json").status_code == 403
    status_url = f"/api/v1/action-items/{item_id}/status/"
    assert client.post(status_url, {"status": "done"}, content_type="application/json").status_code == 403
    client.force_login(communicator)
    assert (
        client.get("/api/v1/action-items/", {"mine": "true", "overdue": "true"}).json()["results"][0]["id"] == item_id
    )
    response = client.post(status_url, {"status": "done"}, content_type="application/json")
    assert response.json()["status"] == "done"
    assert client.post(status_url, {"status": "done"}, content_type="application/json").status_code == 409
    detail = client.get(f"/api/v1/postmortems/{draft.pk}/").json()
    assert detail["all_action_items_closed"]["count"] == 1


@pytest.mark.django_db
def test_metrics_json(client_for, team_lead, communicator, legal):
    play_crisis(lead=team_lead, communicator=communicator, legal=legal, detected=T0, ack=10, resolve=70)
    data = client_for(team_lead).get("/api/v1/postmortem-metrics/").json()
    assert data["exercises_excluded"] is True
    assert data["overall"]["metrics"]["resolve"] == {"count": 1, "median_seconds": 4200.0, "p90_seconds": 4200.0}
    assert data["by_month"][0]["key"] == "2026-03"
    assert data["by_severity"][0]["metrics"]["acknowledge"]["median_seconds"] == 600.0
