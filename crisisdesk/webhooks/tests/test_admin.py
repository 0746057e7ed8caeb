"""Django admin: subscriptions are written by the services; deliveries are read-only with a redeliver action."""

import pytest
from django.urls import reverse

from crisisdesk.webhooks import emit
from crisisdesk.webhooks.models import Delivery, DeliveryStatus, Subscription

pytestmark = pytest.mark.django_db


def test_admin_adds_a_subscription_through_the_service(admin_user, client_for):
    client = client_for(admin_user)
    response = client.post(
        reverse("admin:webhooks_subscription_add"),
        {
            "name": "Ticketing",
            "url": "https://tickets.example.org/hook",
            "event_types": ["incident.opened", "incident.status_changed"],
            "is_active": "on",
            "include_confidential": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    subscription = Subscription.objects.get()
    assert subscription.created_by == admin_user
    assert subscription.include_confidential is True
    assert subscription.secret.startswith("whsec_")
    page = client.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk])).content.decode()
    assert subscription.secret not in page


def test_admin_form_shows_service_errors(admin_user, client_for):
    response = client_for(admin_user).post(
        reverse("admin:webhooks_subscription_add"),
        {"name": "  ", "url": "https://tickets.example.org/hook", "event_types": ["incident.opened"]},
    )
    assert response.status_code == 200
    assert Subscription.objects.count() == 0


def test_admin_redeliver_action(
    admin_user, client_for, subscription, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        emit(event_type="incident.opened", payload={})
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DEAD
    receiver.status = 200
    client = client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:webhooks_delivery_changelist"),
            {"action": "redeliver", "_selected_action": [delivery.pk]},
        )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    # Read-only: the change page offers no form to alter the status.
    page = client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk])).content.decode()
    assert 'name="status"' not in page
