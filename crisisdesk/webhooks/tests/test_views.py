"""Browser pages: team leads manage subscriptions and redeliver; every other persona gets 403."""

import pytest
from django.urls import reverse

from crisisdesk.testing.factories import IncidentFactory
from crisisdesk.webhooks import emit, services
from crisisdesk.webhooks.models import Delivery, DeliveryStatus, Subscription

pytestmark = pytest.mark.django_db

OTHERS = ["communicator", "legal", "observer", "outsider"]


@pytest.fixture
def dead_delivery(subscription, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        emit(event_type="incident.opened", payload={"incident": {"reference": "CD-2026-0100"}})
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DEAD
    return delivery


def pages(subscription, delivery):
    return [
        reverse("webhooks:list"),
        reverse("webhooks:create"),
        reverse("webhooks:detail", args=[subscription.pk]),
        reverse("webhooks:edit", args=[subscription.pk]),
        reverse("webhooks:secret", args=[subscription.pk]),
        reverse("webhooks:deliveries"),
        reverse("webhooks:delivery", args=[delivery.pk]),
    ]


def test_team_lead_sees_every_page(team_lead, client_for, subscription, dead_delivery):
    client = client_for(team_lead)
    for url in pages(subscription, dead_delivery):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", OTHERS)
def test_other_personas_get_403_everywhere(persona, request, client_for, subscription, dead_delivery):
    client = client_for(request.getfixturevalue(persona))
    for url in pages(subscription, dead_delivery):
        assert client.get(url).status_code == 403, url
    posts = [
        (reverse("webhooks:create"), {"name": "x", "url": "https://example.org/h", "event_types": ["incident.opened"]}),
        (reverse("webhooks:toggle", args=[subscription.pk]), {"active": "0"}),
        (reverse("webhooks:rotate_secret", args=[subscription.pk]), {}),
        (reverse("webhooks:redeliver", args=[dead_delivery.pk]), {}),
    ]
    secret = subscription.secret
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.secret, Subscription.objects.count()) == (True, secret, 1)
    assert Delivery.objects.get().status == DeliveryStatus.DEAD


def test_anonymous_visitors_are_sent_to_log_in(client, subscription):
    response = client.get(reverse("webhooks:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_team_lead_creates_a_subscription_and_sees_its_secret_once_created(team_lead, client_for):
    client = client_for(team_lead)
    response = client.post(
        reverse("webhooks:create"),
        {
            "name": "Publishing tool",
            "url": "https://hooks.example.org/crisisdesk",
            "event_types": ["statement.published", "statement.withdrawn"],
            "is_active": "on",
        },
    )
    subscription = Subscription.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:secret", args=[subscription.pk])
    assert subscription.event_types == ["statement.published", "statement.withdrawn"]
    assert subscription.created_by == team_lead
    assert subscription.include_confidential is False

    secret_page = client.get(response["Location"])
    assert subscription.secret in secret_page.content.decode()
    assert "no-store" in secret_page["Cache-Control"]
    # The subscription's own page shows it masked only.
    detail = client.get(subscription.get_absolute_url()).content.decode()
    assert subscription.secret not in detail
    assert subscription.masked_secret in detail


def test_the_form_reports_errors_and_offers_no_confidential_flag_to_team_leads(team_lead, client_for):
    client = client_for(team_lead)
    form_page = client.get(reverse("webhooks:create")).content.decode()
    assert "include_confidential" not in form_page
    response = client.post(
        reverse("webhooks:create"),
        {"name": "x", "url": "ftp://example.org", "event_types": [], "include_confidential": "on"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"url", "event_types"}
    assert Subscription.objects.count() == 0


def test_team_lead_edits_deactivates_and_rotates(team_lead, client_for, subscription):
    client = client_for(team_lead)
    response = client.post(
        reverse("webhooks:edit", args=[subscription.pk]),
        {
            "name": "Renamed",
            "url": "https://hooks.example.org/new",
            "event_types": ["incident.opened"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    old_secret = subscription.secret
    client.post(reverse("webhooks:toggle", args=[subscription.pk]), {"active": "0"})
    client.post(reverse("webhooks:rotate_secret", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert (subscription.name, subscription.url, subscription.event_types) == (
        "Renamed",
        "https://hooks.example.org/new",
        ["incident.opened"],
    )
    assert subscription.is_active is False
    assert subscription.secret != old_secret


def test_a_subscription_with_confidential_events_is_for_administrators_only(
    team_lead, admin_user, client_for, make_subscription
):
    flagged = make_subscription("https://archive.example.org/hook", include_confidential=True)
    client = client_for(team_lead)
    # Visible in the list, but a team lead can neither edit it nor read its secret.
    assert client.get(reverse("webhooks:detail", args=[flagged.pk])).status_code == 200
    assert client.get(reverse("webhooks:edit", args=[flagged.pk])).status_code == 403
    assert client.get(reverse("webhooks:secret", args=[flagged.pk])).status_code == 403
    response = client.post(
        reverse("webhooks:edit", args=[flagged.pk]),
        {"name": "Mine now", "url": "https://attacker.example/hook", "event_types": ["incident.opened"]},
    )
    assert response.status_code == 403
    flagged.refresh_from_db()
    assert flagged.url == "https://archive.example.org/hook"
    assert client_for(admin_user).get(reverse("webhooks:secret", args=[flagged.pk])).status_code == 200


def test_team_lead_redelivers_from_the_log(
    team_lead, client_for, dead_delivery, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 200
    client = client_for(team_lead)
    log_page = client.get(reverse("webhooks:deliveries"), {"status": "dead"}).content.decode()
    assert reverse("webhooks:redeliver", args=[dead_delivery.pk]) in log_page
    assert "receiver says no" in log_page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("webhooks:redeliver", args=[dead_delivery.pk]), {"next": reverse("webhooks:deliveries")}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:deliveries")
    dead_delivery.refresh_from_db()
    assert dead_delivery.status == DeliveryStatus.DELIVERED
    # Redelivering a delivered one is refused with a message, not an error page.
    response = client.post(reverse("webhooks:redeliver", args=[dead_delivery.pk]), follow=True)
    assert response.status_code == 200
    assert "Only a dead or failing delivery" in response.content.decode()


def test_redeliver_does_not_redirect_off_site(team_lead, client_for, dead_delivery):
    response = client_for(team_lead).post(
        reverse("webhooks:redeliver", args=[dead_delivery.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == dead_delivery.get_absolute_url()


def test_deliveries_of_a_confidential_incident_stay_hidden_from_team_leads_off_its_team(
    team_lead, admin_user, client_for, make_subscription, django_capture_on_commit_callbacks
):
    from crisisdesk.testing.factories import UserFactory

    make_subscription("http://127.0.0.1:9/never", include_confidential=True)
    secret_incident = IncidentFactory(confidential=True, title="Merger talks")
    emit(event_type="incident.opened", payload={"incident": {"title": "Merger talks"}}, incident=secret_incident)
    delivery = Delivery.objects.get()
    other_lead = UserFactory(username="lead2", role="Team lead")
    client = client_for(other_lead)
    assert "Merger talks" not in client.get(reverse("webhooks:deliveries")).content.decode()
    assert client.get(reverse("webhooks:delivery", args=[delivery.pk])).status_code == 404
    assert client.post(reverse("webhooks:redeliver", args=[delivery.pk])).status_code == 404
    assert client_for(admin_user).get(reverse("webhooks:delivery", args=[delivery.pk])).status_code == 200


def test_navbar_links_webhooks_for_team_leads_only(team_lead, communicator, client_for):
    url = reverse("webhooks:list")
    assert f'href="{url}"' in client_for(team_lead).get(reverse("dashboard")).content.decode()
    assert f'href="{url}"' not in client_for(communicator).get(reverse("dashboard")).content.decode()


def test_subscription_list_query_count_stays_flat(
    team_lead, client_for, make_subscription, django_assert_max_num_queries
):
    client = client_for(team_lead)
    make_subscription("https://one.example.org/h")
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("webhooks:list"))
    for n in range(20):
        make_subscription(f"https://{n}.example.org/h", name=f"Receiver {n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("webhooks:list"))
    assert len(response.context["subscriptions"]) == 21


def test_services_refuse_what_the_views_hide(team_lead, communicator, subscription):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.subscription_create(
            actor=communicator, name="x", url="https://example.org/h", event_types=["incident.opened"]
        )
    with pytest.raises(PermissionDenied):
        services.subscription_create(
            actor=team_lead,
            name="x",
            url="https://example.org/h",
            event_types=["incident.opened"],
            include_confidential=True,
        )
    with pytest.raises(PermissionDenied):
        services.subscription_update(actor=communicator, subscription=subscription, is_active=False)
    with pytest.raises(PermissionDenied):
        services.subscription_rotate_secret(actor=communicator, subscription=subscription)
