"""REST API /api/v1/notification-destinations/ and /notification-deliveries/: team leads only, URL write-only."""

import pytest
from django.urls import reverse

from crisisdesk.chat.models import ChatDelivery, Destination
from crisisdesk.testing.factories import IncidentFactory
from crisisdesk.webhooks import emit
from crisisdesk.webhooks.models import DeliveryStatus

pytestmark = pytest.mark.django_db

OTHERS = ["communicator", "legal", "observer", "outsider"]
LIST = "api:notification-destination-list"
DELIVERIES = "api:notification-delivery-list"


def test_team_lead_creates_lists_updates_and_deletes(api):
    client = api("team_lead")
    response = client.post(
        reverse(LIST),
        {
            "name": "Pager",
            "url": "mmost://chat.example.org/t0ps3cret",
            "event_types": ["incident.opened"],
            "min_severity": 1,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "url" not in body and "t0ps3cret" not in str(body)
    assert (body["url_masked"], body["min_severity"], body["created_by"]) == ("mmost://chat.example.org/…", 1, "lead")
    destination = Destination.objects.get()
    detail = reverse("api:notification-destination-detail", args=[destination.pk])
    assert "t0ps3cret" not in str(client.get(reverse(LIST)).json()) + str(client.get(detail).json())

    response = client.patch(detail, {"url": "env:PAGER_URL", "is_active": False}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["url_masked"], response.json()["url_is_reference"]) == ("env:PAGER_URL", True)
    assert response.json()["is_active"] is False

    assert client.delete(detail).status_code == 204
    assert Destination.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "https://"}, "url"),
        ({"url": "nope://thing"}, "url"),
        ({"url": "env:lower-case"}, "url"),
        ({"event_types": ["incident.exploded"]}, "event_types"),
        ({"min_severity": 5}, "min_severity"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, data, field):
    body = {"name": "Pager", "url": "json://127.0.0.1:9/h", "event_types": ["incident.opened"], **data}
    response = api("team_lead").post(reverse(LIST), body, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    assert Destination.objects.count() == 0


def test_only_a_superuser_may_include_confidential(api, admin_user, make_destination):
    body = {
        "name": "Legal",
        "url": "json://127.0.0.1:9/h",
        "event_types": ["incident.opened"],
        "include_confidential": True,
    }
    assert api("team_lead").post(reverse(LIST), body, format="json").status_code == 403
    assert api(admin_user).post(reverse(LIST), body, format="json").status_code == 201
    flagged = Destination.objects.get()
    detail = reverse("api:notification-destination-detail", args=[flagged.pk])
    assert api("team_lead").patch(detail, {"name": "Mine now"}, format="json").status_code == 403
    assert api("team_lead").delete(detail).status_code == 403
    assert Destination.objects.get().name == "Legal"


@pytest.mark.parametrize("persona", OTHERS)
def test_other_personas_get_403(api, persona, make_destination):
    destination = make_destination("json://127.0.0.1:9/h")
    client = api(persona)
    detail = reverse("api:notification-destination-detail", args=[destination.pk])
    assert client.get(reverse(LIST)).status_code == 403
    assert client.get(detail).status_code == 403
    assert client.post(reverse(LIST), {"name": "x"}, format="json").status_code == 403
    assert client.patch(detail, {"name": "x"}, format="json").status_code == 403
    assert client.delete(detail).status_code == 403
    assert client.post(reverse("api:notification-destination-test", args=[destination.pk])).status_code == 403
    assert client.get(reverse(DELIVERIES)).status_code == 403
    assert Destination.objects.get().name == "Chat room"


def test_test_action_sends_and_the_delivery_log_lists_it(
    api, destination, receiver, django_capture_on_commit_callbacks
):
    client = api("team_lead")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("api:notification-destination-test", args=[destination.pk]))
    assert response.status_code == 202
    assert len(receiver.accepted()) == 1
    delivery = ChatDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    rows = client.get(reverse(DELIVERIES), {"destination": destination.pk}).json()["results"]
    assert [(row["id"], row["status"], row["attempts"]) for row in rows] == [(delivery.pk, "delivered", 1)]
    detail = client.get(reverse("api:notification-delivery-detail", args=[delivery.pk])).json()
    assert detail["attempt_log"][0]["succeeded"] is True


def test_deliveries_of_a_confidential_incident_are_404_to_a_lead_outside_it(
    api, admin_user, make_destination, receiver, lead2, django_capture_on_commit_callbacks
):
    make_destination(f"json://127.0.0.1:{receiver.port}/h", include_confidential=True)
    secret = IncidentFactory(reference="CD-2026-0099", confidential=True)
    with django_capture_on_commit_callbacks(execute=True):
        emit(event_type="incident.opened", payload={"incident": {"reference": secret.reference}}, incident=secret)
    delivery = ChatDelivery.objects.get()
    client = api(lead2)
    assert client.get(reverse(DELIVERIES)).json()["results"] == []
    assert client.get(reverse("api:notification-delivery-detail", args=[delivery.pk])).status_code == 404
    assert api(admin_user).get(reverse("api:notification-delivery-detail", args=[delivery.pk])).status_code == 200


def test_delivery_list_query_count_stays_flat(
    api, destination, receiver, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client = api("team_lead")
    with django_capture_on_commit_callbacks(execute=True):
        emit(event_type="incident.opened", payload={"incident": {"reference": "CD-2026-0100"}})
    with django_assert_max_num_queries(20) as one:
        client.get(reverse(DELIVERIES))
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(49):
            emit(
                event_type="incident.opened",
                payload={"incident": {"reference": f"CD-2026-{n:04d}"}},
                incident=IncidentFactory(),
            )
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse(DELIVERIES), {"page_size": 50})
    assert len(response.json()["results"]) >= 20


def test_a_dead_delivery_is_redelivered(api, destination, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        emit(event_type="incident.opened", payload={"incident": {"reference": "CD-2026-0100"}})
    delivery = ChatDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DEAD
    url = reverse("api:notification-delivery-redeliver", args=[delivery.pk])
    assert api("outsider").post(url).status_code == 403
    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        response = api("team_lead").post(url)
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    # Delivered now: a second redeliver is an invalid transition.
    assert api("team_lead").post(url).status_code == 409
