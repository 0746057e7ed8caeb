"""Who sees what: every persona against a normal and a confidential incident's review, in the browser and the API."""

import pytest
from django.urls import reverse

from postmortems.tests.helpers import published_review, resolved_review, second_team_lead

PERSONAS = ["communicator", "legal", "team_lead", "observer", "outsider"]


@pytest.fixture
def reviews(team_lead, incident, confidential_incident):
    approver = second_team_lead()
    return {
        "public": published_review(author=team_lead, approver=approver, incident=incident, lessons="Hold lines."),
        # The second lead is not on the confidential team: legal... nobody else may approve; keep it a draft.
        "confidential": resolved_review(lead=team_lead, incident=confidential_incident),
    }


LIST_PAGES = ["postmortems:list", "postmortems:library", "postmortems:my_actions"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_by_persona(request, client_for, persona, reviews):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    for name in LIST_PAGES:
        response = client.get(reverse(name))
        if persona == "outsider":
            assert response.status_code == 403, name
            continue
        assert response.status_code == 200, name
        assert reviews["confidential"].title not in response.content.decode() or persona == "team_lead"
    api = client.get("/api/v1/postmortems/")
    if persona == "outsider":
        assert api.status_code == 403
    else:
        ids = {row["id"] for row in api.json()["results"]}
        assert reviews["public"].pk in ids
        assert (reviews["confidential"].pk in ids) == (persona == "team_lead")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_details_by_persona(request, client_for, persona, reviews):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    public, confidential = reviews["public"], reviews["confidential"]
    expected_public = 404 if persona == "outsider" else 200
    expected_confidential = 200 if persona == "team_lead" else 404
    for name in ("postmortems:detail", "postmortems:print"):
        assert client.get(reverse(name, args=[public.pk])).status_code == expected_public
    assert client.get(reverse("postmortems:detail", args=[confidential.pk])).status_code == expected_confidential
    assert client.get(f"/api/v1/postmortems/{public.pk}/").status_code == expected_public
    assert client.get(f"/api/v1/postmortems/{confidential.pk}/").status_code == expected_confidential
    page = reverse("review:review", kwargs={"kind": "postmortemreview", "pk": confidential.pk})
    assert client.get(page).status_code == expected_confidential


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_metrics_only_for_team_leads(request, client_for, persona):
    client = client_for(request.getfixturevalue(persona))
    expected = 200 if persona == "team_lead" else 403
    assert client.get(reverse("postmortems:metrics")).status_code == expected
    assert client.get("/api/v1/postmortem-metrics/").status_code == expected


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, reviews):
    response = client.get(reverse("postmortems:detail", args=[reviews["public"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/api/v1/postmortems/").status_code in (401, 403)


@pytest.mark.django_db
def test_confidential_action_items_stay_confidential(client_for, team_lead, communicator, observer, reviews):
    from datetime import date

    from postmortems import services

    services.action_item_create(
        actor=team_lead,
        review_item=reviews["confidential"],
        title="Secret fix",
        owner=team_lead,
        due_date=date(2020, 1, 1),
    )
    for user in (communicator, observer):
        client = client_for(user)
        assert "Secret fix" not in client.get(reverse("dashboard")).content.decode()
        assert client.get("/api/v1/action-items/").json()["results"] == []
    assert "Secret fix" in client_for(team_lead).get(reverse("dashboard")).content.decode()
