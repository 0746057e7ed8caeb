"""Django admin: destinations written by the services (URL write-only, masked); deliveries read-only."""

import pytest
from django.urls import reverse

from crisisdesk.chat.models import ChatDelivery, Destination
from crisisdesk.webhooks.models import DeliveryStatus

pytestmark = pytest.mark.django_db
URL = "mmost://chat.example.org/sup3rs3cr3ttoken"


def test_admin_adds_a_destination_through_the_service(admin_user, client_for):
    client = client_for(admin_user)
    response = client.post(
        reverse("admin:chat_destination_add"),
        {
            "name": "Legal room",
            "url": URL,
            "event_types": ["incident.opened"],
            "min_severity": "2",
            "is_active": "on",
            "include_confidential": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    destination = Destination.objects.get()
    assert (destination.created_by, destination.include_confidential, destination.min_severity) == (admin_user, True, 2)
    page = client.get(reverse("admin:chat_destination_change", args=[destination.pk])).content.decode()
    assert "sup3rs3cr3ttoken" not in page
    assert "mmost://chat.example.org/…" in page


def test_a_team_lead_cannot_flag_confidential_in_the_admin(admin_as):
    response = admin_as("team_lead").post(
        reverse("admin:chat_destination_add"),
        {
            "name": "Mine",
            "url": URL,
            "event_types": ["incident.opened"],
            "min_severity": "4",
            "include_confidential": "on",
        },
    )
    assert response.status_code == 200
    assert "Only an administrator" in response.content.decode()
    assert Destination.objects.count() == 0


def test_admin_shows_an_invalid_url_on_the_form(admin_user, client_for):
    response = client_for(admin_user).post(
        reverse("admin:chat_destination_add"),
        {"name": "Broken", "url": "nope://x", "event_types": ["incident.opened"], "min_severity": "4"},
    )
    assert response.status_code == 200
    assert "Apprise does not recognise this URL" in response.content.decode()
    assert Destination.objects.count() == 0


def test_admin_edit_without_url_keeps_it_and_test_action_sends(
    admin_user, client_for, destination, receiver, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    stored = destination.url_secret
    response = client.post(
        reverse("admin:chat_destination_change", args=[destination.pk]),
        {"name": "Renamed", "url": "", "event_types": ["incident.opened"], "min_severity": "3", "is_active": "on"},
    )
    assert response.status_code == 302
    destination.refresh_from_db()
    assert (destination.name, destination.url_secret) == ("Renamed", stored)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:chat_destination_changelist"), {"action": "send_test", "_selected_action": [destination.pk]}
        )
    assert ChatDelivery.objects.get().status == DeliveryStatus.DELIVERED
    assert len(receiver.accepted()) == 1
    delivery = ChatDelivery.objects.get()
    page = client.get(reverse("admin:chat_chatdelivery_change", args=[delivery.pk])).content.decode()
    assert 'name="status"' not in page


@pytest.mark.parametrize("persona", ["communicator", "outsider"])
def test_other_staff_cannot_reach_destinations(admin_as, persona, make_destination):
    destination = make_destination(URL)
    client = admin_as(persona)
    assert client.get(reverse("admin:chat_destination_changelist")).status_code == 403
    assert client.get(reverse("admin:chat_destination_change", args=[destination.pk])).status_code in (403, 302)
