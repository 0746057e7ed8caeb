"""Issue 12: outside systems never receive unreviewed words; ``include_internal_drafts`` is an administrator's call.

The outbox stores the full payload once; each delivery is rendered for its subscription at
send time (and the same way on the delivery pages and API): metadata only before publication,
no withdrawal reason or comment, unless the subscription is flagged ``include_internal_drafts``.
"""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from crisisdesk.review.tests.helpers import statement_in
from crisisdesk.webhooks import events, payloads
from crisisdesk.webhooks.models import Delivery, OutboxEvent, Subscription

pytestmark = pytest.mark.django_db

STATEMENT_EVENTS = ["statement.submitted", "statement.approved", "statement.published", "statement.withdrawn"]
SUBSCRIPTIONS = "api:webhook-subscription-list"


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def two_receivers(make_subscription, receiver):
    """An ordinary (outside) subscription and an internal one, both at the live receiver."""
    outside = make_subscription(receiver.url + "?outside", name="Outside", event_types=STATEMENT_EVENTS)
    internal = make_subscription(
        receiver.url + "?internal", name="Internal", event_types=STATEMENT_EVENTS, include_internal_drafts=True
    )
    return outside, internal


@pytest.fixture
def withdrawn_statement(communicator, legal, incident, two_receivers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return statement_in(
            "withdrawn",
            author=communicator,
            reviewer=legal,
            publisher=communicator,
            withdrawer=legal,
            incident=incident,
            body="Draft words Legal has not read yet.",
        )


def received(receiver, query: str) -> dict[str, dict]:
    return {body["type"]: body["data"] for body in (r.json() for r in receiver.accepted() if r.path.endswith(query))}


def test_outside_systems_get_metadata_before_publication(withdrawn_statement, receiver):
    outside = received(receiver, "?outside")
    assert list(outside) == STATEMENT_EVENTS
    for event_type in ("statement.submitted", "statement.approved"):
        statement = outside[event_type]["statement"]
        assert set(statement) == set(payloads.STATEMENT_METADATA_FIELDS)
        assert statement["id"] == withdrawn_statement.pk
        assert statement["title"] == withdrawn_statement.title
        assert statement["revision"] == 1
        assert statement["content_hash"] == withdrawn_statement.current_revision.content_hash
        assert statement["api_url"] == reverse("api:statement-detail", kwargs={"pk": withdrawn_statement.pk})
        assert "comment" not in outside[event_type]
    assert "Draft words" not in json.dumps(outside["statement.submitted"])
    # Published: the approved body goes out. Withdrawn: the words that were public, never the reason.
    assert outside["statement.published"]["statement"]["body"] == "Draft words Legal has not read yet."
    withdrawn = outside["statement.withdrawn"]
    assert "withdrawal_reason" not in withdrawn["statement"]
    assert "Superseded." not in json.dumps(withdrawn)


def test_internal_subscriptions_get_everything(withdrawn_statement, receiver):
    internal = received(receiver, "?internal")
    assert internal["statement.submitted"]["statement"]["body"] == "Draft words Legal has not read yet."
    assert internal["statement.withdrawn"]["statement"]["withdrawal_reason"] == "Superseded."
    assert internal["statement.withdrawn"]["comment"] == "Superseded."


def test_the_outbox_stores_one_full_payload(withdrawn_statement):
    event = OutboxEvent.objects.get(event_type="statement.submitted")
    assert event.payload["statement"]["body"] == "Draft words Legal has not read yet."
    assert event.deliveries.count() == 2


def test_delivery_pages_and_api_show_what_the_subscription_received(
    withdrawn_statement, two_receivers, team_lead, client_for
):
    outside, internal = two_receivers
    event = OutboxEvent.objects.get(event_type="statement.submitted")
    outside_delivery = Delivery.objects.get(event=event, subscription=outside)
    internal_delivery = Delivery.objects.get(event=event, subscription=internal)
    client = api_as(team_lead)
    outside_api = client.get(reverse("api:webhook-delivery-detail", args=[outside_delivery.pk]))
    assert outside_api.status_code == 200
    assert "body" not in outside_api.json()["event"]["payload"]["statement"]
    internal_api = client.get(reverse("api:webhook-delivery-detail", args=[internal_delivery.pk])).json()
    assert internal_api["event"]["payload"]["statement"]["body"] == "Draft words Legal has not read yet."
    page = client_for(team_lead).get(reverse("webhooks:delivery", args=[outside_delivery.pk]))
    assert page.status_code == 200
    assert "Draft words" not in page.content.decode()
    assert (
        "Draft words"
        in client_for(team_lead).get(reverse("webhooks:delivery", args=[internal_delivery.pk])).content.decode()
    )


@pytest.mark.parametrize("persona", ["communicator", "legal", "observer", "outsider"])
def test_other_personas_see_no_delivery_payload(persona, withdrawn_statement, request):
    delivery = Delivery.objects.filter(event__event_type="statement.submitted").first()
    client = api_as(request.getfixturevalue(persona))
    assert client.get(reverse("api:webhook-delivery-detail", args=[delivery.pk])).status_code == 403


def test_unregistered_redaction_leaves_other_events_untouched():
    payload = {"incident": {"reference": "CD-1", "title": "T"}, "comment": "x"}
    assert events.payload_for("incident.opened", payload, internal=False) == payload


# --- who may turn the flag on -------------------------------------------------------------------


def test_the_internal_drafts_flag_is_for_administrators_through_the_api(admin_user, team_lead, make_subscription):
    data = {"name": "Draft sync", "url": "https://a.example.org/h", "event_types": ["statement.submitted"]}
    refused = api_as(team_lead).post(reverse(SUBSCRIPTIONS), {**data, "include_internal_drafts": True}, format="json")
    assert refused.status_code == 403
    assert not Subscription.objects.exists()
    created = api_as(admin_user).post(reverse(SUBSCRIPTIONS), {**data, "include_internal_drafts": True}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["include_internal_drafts"] is True
    flagged = Subscription.objects.get()
    detail = reverse("api:webhook-subscription-detail", args=[flagged.pk])
    # A team lead can neither repoint a flagged subscription nor read its secret.
    assert api_as(team_lead).patch(detail, {"url": "https://attacker.example/h"}, format="json").status_code == 403
    assert api_as(team_lead).get(reverse("api:webhook-subscription-secret", args=[flagged.pk])).status_code == 403
    # Nor turn the flag on for an ordinary one.
    ordinary = make_subscription("https://b.example.org/h", name="Ordinary")
    ordinary_detail = reverse("api:webhook-subscription-detail", args=[ordinary.pk])
    response = api_as(team_lead).patch(ordinary_detail, {"include_internal_drafts": True}, format="json")
    assert response.status_code == 403
    ordinary.refresh_from_db()
    assert ordinary.include_internal_drafts is False
    assert (
        api_as(admin_user).patch(ordinary_detail, {"include_internal_drafts": True}, format="json").status_code == 200
    )


@pytest.mark.parametrize("persona", ["communicator", "legal", "observer", "outsider"])
def test_other_personas_cannot_create_a_flagged_subscription(persona, request):
    data = {
        "name": "x",
        "url": "https://x.example/h",
        "event_types": ["statement.submitted"],
        "include_internal_drafts": True,
    }
    assert api_as(request.getfixturevalue(persona)).post(reverse(SUBSCRIPTIONS), data, format="json").status_code == 403
    assert not Subscription.objects.exists()


def test_the_browser_form_offers_the_flag_to_administrators_only(team_lead, admin_user, client_for):
    data = {
        "name": "Draft sync",
        "url": "https://hooks.example.org/drafts",
        "event_types": ["statement.submitted"],
        "is_active": "on",
        "include_internal_drafts": "on",
    }
    client = client_for(team_lead)
    assert "include_internal_drafts" not in client.get(reverse("webhooks:create")).content.decode()
    assert client.post(reverse("webhooks:create"), data).status_code == 302
    assert Subscription.objects.get().include_internal_drafts is False  # the field is not even there
    Subscription.objects.all().delete()
    admin = client_for(admin_user)
    assert "include_internal_drafts" in admin.get(reverse("webhooks:create")).content.decode()
    assert admin.post(reverse("webhooks:create"), data).status_code == 302
    flagged = Subscription.objects.get()
    assert flagged.include_internal_drafts is True
    client = client_for(team_lead)
    assert client.get(reverse("webhooks:edit", args=[flagged.pk])).status_code == 403
    assert "Internal drafts" in client.get(reverse("webhooks:list")).content.decode()


def test_the_admin_sets_the_flag_for_superusers_only(admin_user, admin_as, client_for):
    data = {
        "name": "Draft sync",
        "url": "https://hooks.example.org/drafts",
        "event_types": ["statement.submitted"],
        "is_active": "on",
        "include_internal_drafts": "on",
    }
    refused = admin_as("team_lead").post(reverse("admin:webhooks_subscription_add"), data)
    assert refused.status_code in (200, 403)
    assert not Subscription.objects.exists()
    response = client_for(admin_user).post(reverse("admin:webhooks_subscription_add"), data)
    assert response.status_code == 302
    assert Subscription.objects.get().include_internal_drafts is True
