"""REST API /api/v1/webhooks/: team leads only (403 for every other persona), secrets only on purpose."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from crisisdesk.testing.factories import IncidentFactory, UserFactory
from crisisdesk.webhooks import emit
from crisisdesk.webhooks.models import Delivery, DeliveryStatus, Subscription

pytestmark = pytest.mark.django_db

OTHERS = ["communicator", "legal", "observer", "outsider"]


@pytest.fixture
def api(request):
    def client_as(user) -> APIClient:
        user = request.getfixturevalue(user) if isinstance(user, str) else user
        client = APIClient()
        client.force_login(user)
        return client

    return client_as


@pytest.fixture
def dead_delivery(subscription, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        emit(event_type="incident.opened", payload={"incident": {"reference": "CD-2026-0100"}})
    return Delivery.objects.get()


SUBSCRIPTIONS = "api:webhook-subscription-list"
DELIVERIES = "api:webhook-delivery-list"


def test_team_lead_creates_and_gets_the_secret_once(api):
    client = api("team_lead")
    response = client.post(
        reverse(SUBSCRIPTIONS),
        {"name": "Chat bridge", "url": "https://chat.example.org/hook", "event_types": ["incident.opened"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    subscription = Subscription.objects.get()
    assert body["secret"] == subscription.secret
    assert (body["created_by"], body["is_active"], body["include_confidential"]) == ("lead", True, False)

    detail = reverse("api:webhook-subscription-detail", args=[subscription.pk])
    assert "secret" not in client.get(detail).json()
    assert all("secret" not in row for row in client.get(reverse(SUBSCRIPTIONS)).json()["results"])
    revealed = client.get(reverse("api:webhook-subscription-secret", args=[subscription.pk]))
    assert revealed.json()["secret"] == subscription.secret
    assert revealed["Cache-Control"] == "no-store"
    rotated = client.post(reverse("api:webhook-subscription-rotate-secret", args=[subscription.pk])).json()
    subscription.refresh_from_db()
    assert rotated["secret"] == subscription.secret != body["secret"]


def test_team_lead_deactivates_with_a_patch(api, subscription):
    response = api("team_lead").patch(
        reverse("api:webhook-subscription-detail", args=[subscription.pk]), {"is_active": False}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    subscription.refresh_from_db()
    assert subscription.is_active is False


def test_invalid_input_is_a_400_with_field_errors(api):
    response = api("team_lead").post(
        reverse(SUBSCRIPTIONS), {"name": "", "url": "not a url", "event_types": ["incident.exploded"]}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"name", "url", "event_types"}
    response = api("team_lead").post(
        reverse(SUBSCRIPTIONS), {"name": "x", "url": "ftp://example.org/x", "event_types": ["incident.opened"]}
    )
    assert response.status_code == 400
    assert "url" in response.json()


def test_the_confidential_flag_is_for_administrators(api, admin_user, make_subscription):
    data = {"name": "Archive", "url": "https://a.example.org/h", "event_types": ["incident.opened"]}
    response = api("team_lead").post(reverse(SUBSCRIPTIONS), {**data, "include_confidential": True}, format="json")
    assert response.status_code == 403
    assert api(admin_user).post(reverse(SUBSCRIPTIONS), {**data, "include_confidential": True}).status_code == 201
    flagged = Subscription.objects.get()
    detail = reverse("api:webhook-subscription-detail", args=[flagged.pk])
    assert api("team_lead").patch(detail, {"url": "https://attacker.example/h"}, format="json").status_code == 403
    assert api("team_lead").get(reverse("api:webhook-subscription-secret", args=[flagged.pk])).status_code == 403


@pytest.mark.parametrize("persona", OTHERS)
def test_every_endpoint_is_403_for_other_personas(persona, api, subscription, dead_delivery):
    client = api(persona)
    subscription_detail = reverse("api:webhook-subscription-detail", args=[subscription.pk])
    delivery_detail = reverse("api:webhook-delivery-detail", args=[dead_delivery.pk])
    calls = [
        client.get(reverse(SUBSCRIPTIONS)),
        client.post(
            reverse(SUBSCRIPTIONS), {"name": "x", "url": "https://x.example/h", "event_types": ["incident.opened"]}
        ),
        client.get(subscription_detail),
        client.patch(subscription_detail, {"is_active": False}, format="json"),
        client.get(reverse("api:webhook-subscription-secret", args=[subscription.pk])),
        client.post(reverse("api:webhook-subscription-rotate-secret", args=[subscription.pk])),
        client.get(reverse(DELIVERIES)),
        client.get(delivery_detail),
        client.post(reverse("api:webhook-delivery-redeliver", args=[dead_delivery.pk])),
    ]
    assert [response.status_code for response in calls] == [403] * len(calls)
    subscription.refresh_from_db()
    assert subscription.is_active is True
    assert Subscription.objects.count() == 1


def test_anonymous_requests_are_401(subscription):
    assert APIClient().get(reverse(SUBSCRIPTIONS)).status_code == 401


def test_team_lead_reads_the_log_and_redelivers(api, dead_delivery, receiver, django_capture_on_commit_callbacks):
    client = api("team_lead")
    rows = client.get(reverse(DELIVERIES), {"status": "dead"}).json()["results"]
    assert [(row["id"], row["event_type"], row["last_error"]) for row in rows] == [
        (dead_delivery.pk, "incident.opened", "HTTP 500: receiver says no")
    ]
    detail = client.get(reverse("api:webhook-delivery-detail", args=[dead_delivery.pk])).json()
    assert detail["event"]["id"] == str(dead_delivery.event_id)
    assert [attempt["status_code"] for attempt in detail["attempt_log"]] == [500]

    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("api:webhook-delivery-redeliver", args=[dead_delivery.pk]))
    assert response.status_code == 200
    dead_delivery.refresh_from_db()
    assert dead_delivery.status == DeliveryStatus.DELIVERED
    again = client.post(reverse("api:webhook-delivery-redeliver", args=[dead_delivery.pk]))
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


def test_filters_by_event_type_and_subscription(api, dead_delivery, subscription):
    client = api("team_lead")
    assert len(client.get(reverse(DELIVERIES), {"event_type": "incident.opened"}).json()["results"]) == 1
    assert client.get(reverse(DELIVERIES), {"event_type": "statement.published"}).json()["results"] == []
    assert len(client.get(reverse(DELIVERIES), {"subscription": subscription.pk}).json()["results"]) == 1
    assert len(client.get(reverse(DELIVERIES), {"event": str(dead_delivery.event_id)}).json()["results"]) == 1


def test_a_confidential_incident_delivery_is_404_for_a_team_lead_off_its_team(api, make_subscription):
    make_subscription("http://127.0.0.1:9/never", include_confidential=True)
    incident = IncidentFactory(confidential=True)
    emit(event_type="incident.opened", payload={}, incident=incident)
    delivery = Delivery.objects.get()
    other_lead = UserFactory(username="lead2", role="Team lead")
    client = api(other_lead)
    assert client.get(reverse(DELIVERIES)).json()["results"] == []
    assert client.get(reverse("api:webhook-delivery-detail", args=[delivery.pk])).status_code == 404
    assert client.post(reverse("api:webhook-delivery-redeliver", args=[delivery.pk])).status_code == 404


def test_delivery_list_query_count_stays_flat(api, make_subscription, django_assert_max_num_queries):
    client = api("team_lead")
    subscription = make_subscription("http://127.0.0.1:9/never")
    emit(event_type="incident.opened", payload={}, incident=IncidentFactory())
    with django_assert_max_num_queries(20) as one:
        assert len(client.get(reverse(DELIVERIES)).json()["results"]) == 1
    for _ in range(30):
        emit(event_type="incident.opened", payload={}, incident=IncidentFactory())
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(reverse(DELIVERIES)).json()["results"]) == 31
    assert subscription.deliveries.count() == 31
