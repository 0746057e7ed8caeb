"""The system audit trail: the writer, API keys, webhook secrets, role changes (User.groups), the admin list."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from crisisdesk.apikeys import services as apikeys
from crisisdesk.audit.models import AuditRecord
from crisisdesk.audit.services import acting_as, audit_record, records_for
from crisisdesk.roles import COMMUNICATOR, LEGAL, TEAM_LEAD
from crisisdesk.testing.factories import UserFactory
from crisisdesk.webhooks import events
from crisisdesk.webhooks import services as webhooks

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_audit_record_must_run_inside_a_transaction(team_lead):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(actor=team_lead, action="test.change")
    assert not AuditRecord.objects.filter(action="test.change").exists()


def test_audit_record_keeps_who_what_from_to_and_clips_long_states(team_lead, incident):
    with transaction.atomic():
        record = audit_record(
            actor=team_lead, action="test.change", target=incident, from_state="a", to_state="b" * 400, comment="Why."
        )
    record.refresh_from_db()
    assert (record.actor, record.target, record.from_state, record.comment) == (team_lead, incident, "a", "Why.")
    assert record.target_repr == str(incident) and len(record.to_state) == 255
    with pytest.raises(TypeError):
        record.save()


def test_api_key_creation_and_revocation_are_audited(team_lead):
    key, raw = apikeys.apikey_create(actor=team_lead, name="Monitoring", scopes=["ingest"])
    apikeys.apikey_revoke(actor=team_lead, key=key)
    apikeys.apikey_revoke(actor=team_lead, key=key)  # idempotent: nothing changes, nothing recorded
    revoked, created = records_for(key)
    assert (created.action, created.actor, created.to_state) == ("apikey.create", team_lead, "active")
    assert created.data == {"prefix": key.prefix, "scopes": ["ingest"], "user": team_lead.pk}
    assert (revoked.action, revoked.from_state, revoked.to_state) == ("apikey.revoke", "active", "revoked")
    assert raw not in str(created.data) and key.key_hash not in str(created.data)


def test_a_refused_api_key_leaves_no_record(communicator):
    with pytest.raises(PermissionDenied):
        apikeys.apikey_create(actor=communicator, name="x", scopes=["read"])
    assert not AuditRecord.objects.filter(action__startswith="apikey.").exists()


def test_webhook_secret_rotation_is_audited_without_the_secret(admin_user):
    subscription = webhooks.subscription_create(
        actor=admin_user, name="Receiver", url="https://hooks.example.org/in", event_types=list(events.EVENT_TYPES)
    )
    old_secret = subscription.secret
    subscription = webhooks.subscription_rotate_secret(actor=admin_user, subscription=subscription)
    record = records_for(subscription).get()
    assert (record.action, record.actor) == ("webhook.rotate_secret", admin_user)
    dumped = str(record.__dict__)
    assert old_secret not in dumped and subscription.secret not in dumped


def test_group_changes_are_audited_both_ways(team_lead):
    user = UserFactory(username="newcomer")
    communicators, legal = Group.objects.get(name=COMMUNICATOR), Group.objects.get(name=LEGAL)
    with transaction.atomic(), acting_as(team_lead):
        user.groups.add(communicators)
    legal.user_set.add(user)
    user.groups.remove(communicators)
    user.groups.clear()
    trail = [(r.actor, r.from_state, r.to_state) for r in records_for(user).order_by("at", "id")]
    assert trail == [
        (team_lead, "", COMMUNICATOR),
        (None, COMMUNICATOR, f"{COMMUNICATOR}, {LEGAL}"),
        (None, f"{COMMUNICATOR}, {LEGAL}", LEGAL),
        (None, LEGAL, ""),
    ]
    assert records_for(user).first().data == {"added": [], "removed": [LEGAL]}


def test_the_admin_user_form_audits_role_changes_as_the_admin(client, admin_user):
    user = UserFactory(username="promoted", role=COMMUNICATOR)
    client.force_login(admin_user)
    url = reverse("admin:auth_user_change", args=[user.pk])
    response = client.post(
        url,
        {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "is_active": "on",
            "groups": [Group.objects.get(name=TEAM_LEAD).pk],
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    changes = [(r.actor, r.to_state) for r in records_for(user).order_by("at", "id") if r.actor is not None]
    assert changes[-1] == (admin_user, TEAM_LEAD)
    assert all(actor == admin_user for actor, _ in changes)


def test_the_admin_lists_records_read_only(client, admin_user, team_lead):
    apikeys.apikey_create(actor=team_lead, name="Monitoring", scopes=["read"])
    client.force_login(admin_user)
    response = client.get(reverse("admin:audit_auditrecord_changelist"))
    assert response.status_code == 200 and b"apikey.create" in response.content
    record = AuditRecord.objects.get(action="apikey.create")
    assert client.get(reverse("admin:audit_auditrecord_add")).status_code == 403
    assert client.post(reverse("admin:audit_auditrecord_delete", args=[record.pk])).status_code == 403
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_the_api_lists_the_trail_for_superusers_only(api, admin_user, team_lead, communicator):
    key, _raw = apikeys.apikey_create(actor=team_lead, name="Monitoring", scopes=["read"])
    apikeys.apikey_revoke(actor=team_lead, key=key)
    for persona in ("team_lead", "communicator"):
        assert api(persona).get("/api/v1/audit-records/").status_code == 403
    client = api(admin_user)
    body = client.get("/api/v1/audit-records/", {"target_type": "apikeys.apikey", "target_id": key.pk}).json()
    assert [row["action"] for row in body["results"]] == ["apikey.revoke", "apikey.create"]
    row = body["results"][0]
    assert row["actor"]["username"] == team_lead.username and row["target_type"] == "apikeys.apikey"
    assert (row["from_state"], row["to_state"]) == ("active", "revoked")
    only = client.get("/api/v1/audit-records/", {"action": "apikey.create"}).json()["results"]
    assert [row["target_id"] for row in only] == [str(key.pk)]
    assert client.get("/api/v1/audit-records/", {"at_after": "not a date"}).status_code == 400
    assert client.delete(f"/api/v1/audit-records/{row['id']}/").status_code == 405
