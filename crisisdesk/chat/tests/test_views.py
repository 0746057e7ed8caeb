"""Browser pages: team leads manage chat destinations; every other persona gets 403; the URL never comes back."""

import pytest
from django.urls import reverse

from crisisdesk.chat.models import ChatDelivery, Destination
from crisisdesk.webhooks.models import DeliveryStatus

pytestmark = pytest.mark.django_db

OTHERS = ["communicator", "legal", "observer", "outsider"]
SECRET_URL = "mmost://chat.example.org/sup3rs3cr3ttoken"


def pages(destination):
    return [
        reverse("chat:list"),
        reverse("chat:create"),
        reverse("chat:detail", args=[destination.pk]),
        reverse("chat:edit", args=[destination.pk]),
        reverse("chat:delete", args=[destination.pk]),
    ]


def test_team_lead_sees_every_page_and_never_the_url(team_lead, client_for, make_destination):
    destination = make_destination(SECRET_URL)
    client = client_for(team_lead)
    for url in pages(destination):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "sup3rs3cr3ttoken" not in response.content.decode(), url
    assert "mmost://chat.example.org/…" in client.get(reverse("chat:detail", args=[destination.pk])).content.decode()


@pytest.mark.parametrize("persona", OTHERS)
def test_other_personas_get_403_everywhere(persona, request, client_for, make_destination):
    destination = make_destination(SECRET_URL)
    client = client_for(request.getfixturevalue(persona))
    for url in pages(destination):
        assert client.get(url).status_code == 403, url
    posts = [
        (reverse("chat:create"), {"name": "x", "url": "json://127.0.0.1:9/h", "event_types": ["incident.opened"]}),
        (reverse("chat:edit", args=[destination.pk]), {"name": "y", "event_types": ["incident.opened"]}),
        (reverse("chat:delete", args=[destination.pk]), {}),
        (reverse("chat:test", args=[destination.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert list(Destination.objects.values_list("name", flat=True)) == ["Chat room"]
    assert ChatDelivery.objects.count() == 0


def test_a_destination_that_does_not_exist_is_404(team_lead, client_for):
    assert client_for(team_lead).get(reverse("chat:detail", args=[999])).status_code == 404


def test_create_edit_test_and_delete(team_lead, client_for, receiver, django_capture_on_commit_callbacks):
    client = client_for(team_lead)
    response = client.post(
        reverse("chat:create"),
        {
            "name": "Crisis room",
            "url": f"json://127.0.0.1:{receiver.port}/hook",
            "event_types": ["incident.opened", "alert.fired"],
            "min_severity": "2",
            "is_active": "on",
            # Not an administrator: the field is not offered, so this is ignored.
            "include_confidential": "on",
        },
    )
    destination = Destination.objects.get()
    assert response.status_code == 302 and response.url == destination.get_absolute_url()
    assert (destination.min_severity, destination.include_confidential) == (2, False)
    assert destination.event_types == ["incident.opened", "alert.fired"]

    # Editing without a URL keeps the stored one.
    stored = destination.url_secret
    response = client.post(
        reverse("chat:edit", args=[destination.pk]),
        {"name": "War room", "url": "", "event_types": ["incident.opened"], "min_severity": "4", "is_active": "on"},
    )
    assert response.status_code == 302
    destination.refresh_from_db()
    assert (destination.name, destination.url_secret, destination.min_severity) == ("War room", stored, 4)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("chat:test", args=[destination.pk]), follow=True)
    # Inside the test's transaction the task runs when the block ends: the page says "queued".
    assert "Test message queued." in response.content.decode()
    [message] = [request.json() for request in receiver.accepted()]
    assert message["title"] == "CrisisDesk test message"
    assert ChatDelivery.objects.get().status == DeliveryStatus.DELIVERED

    page = client.get(reverse("chat:detail", args=[destination.pk])).content.decode()
    assert "CrisisDesk test message" in page

    response = client.post(reverse("chat:delete", args=[destination.pk]))
    assert response.status_code == 302 and response.url == reverse("chat:list")
    assert Destination.objects.count() == 0 and ChatDelivery.objects.count() == 0


def test_an_invalid_apprise_url_is_a_field_error(team_lead, client_for):
    response = client_for(team_lead).post(
        reverse("chat:create"),
        {"name": "Broken", "url": "https://", "event_types": ["incident.opened"], "min_severity": "4"},
    )
    assert response.status_code == 200
    assert "Apprise does not recognise this URL" in str(response.context["form"].errors["url"])
    assert Destination.objects.count() == 0


def test_only_an_administrator_sets_or_edits_the_confidential_flag(team_lead, admin_user, client_for, make_destination):
    flagged = make_destination(SECRET_URL, include_confidential=True)
    lead = client_for(team_lead)
    # A team lead sees it but may not change, test or delete it.
    assert lead.get(reverse("chat:detail", args=[flagged.pk])).status_code == 200
    assert lead.get(reverse("chat:edit", args=[flagged.pk])).status_code == 403
    assert lead.post(reverse("chat:delete", args=[flagged.pk])).status_code == 403
    assert lead.post(reverse("chat:test", args=[flagged.pk])).status_code == 403
    admin = client_for(admin_user)
    form = admin.get(reverse("chat:create")).context["form"]
    assert "include_confidential" in form.fields


def test_destination_list_query_count_stays_flat(
    team_lead, client_for, make_destination, django_assert_max_num_queries
):
    client = client_for(team_lead)
    make_destination("json://127.0.0.1:9/one")
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("chat:list"))
    for n in range(49):
        make_destination(f"json://127.0.0.1:9/{n}", name=f"Room {n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("chat:list"))
    assert len(response.context["destinations"]) == 50


def test_a_dead_delivery_is_redelivered_from_its_destination_page(
    team_lead, observer, client_for, destination, receiver, settings, django_capture_on_commit_callbacks
):
    from crisisdesk.webhooks import emit

    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        emit(event_type="incident.opened", payload={"incident": {"reference": "CD-2026-0100"}})
    delivery = ChatDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DEAD
    url = reverse("chat:redeliver", args=[delivery.pk])
    assert client_for(observer).post(url).status_code == 403
    client = client_for(team_lead)
    assert url in client.get(reverse("chat:detail", args=[destination.pk])).content.decode()
    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
