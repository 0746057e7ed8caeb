"""Approval grants: a team lead, with a fresh second factor, lets one token approve, publish and withdraw.

Without a grant a personal token or an integration key is refused (403); with one it acts within its
scopes and its person's role, and the review engine's author ≠ reviewer rule still holds. Enabling and
revoking are in the system audit trail; the approval's audit event names ``token-grant`` and the grant.
"""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crisisdesk.apikeys import grants
from crisisdesk.apikeys import services as apikey_services
from crisisdesk.apikeys.models import ApprovalGrant
from crisisdesk.audit.models import AuditRecord
from crisisdesk.review.models import Action, AuditEvent, ReviewStatus
from crisisdesk.review.tests.helpers import statement_in
from crisisdesk.twofactor import stepup
from crisisdesk.twofactor.tests.helpers import confirm, enrol

pytestmark = pytest.mark.django_db
S = ReviewStatus


@pytest.fixture
def build(incident, communicator, legal, team_lead):
    def _build(status, author=communicator):
        return statement_in(
            status, author=author, reviewer=legal, publisher=communicator, withdrawer=team_lead, incident=incident
        )

    return _build


@pytest.fixture
def lead_confirmed(team_lead, client, clock):
    """The team lead signed in with a second factor confirmed just now."""
    device, _codes = enrol(team_lead)
    client.force_login(team_lead)
    return confirm(client, device, clock)


def token_client(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def key_client(raw_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def api_approve(client, statement):
    url = reverse("api:statement-approve", kwargs={"pk": statement.pk})
    return client.post(url, {"revision": statement.current_revision.number, "comment": "Checked."}, format="json")


def enable_token(client, user):
    return client.post(reverse("apikeys:token_grant", kwargs={"user_id": user.pk}), {"action": "enable"})


def audit_of(action):
    return AuditRecord.objects.filter(action=action)


# --- enabling: team lead with a fresh factor ---------------------------------------------------------------


def test_team_lead_with_a_fresh_factor_enables_a_token_grant(enforced, lead_confirmed, team_lead, legal):
    Token.objects.create(user=legal)
    response = enable_token(lead_confirmed, legal)
    assert response.status_code == 302 and response["Location"] == reverse("apikeys:tokens")
    grant = ApprovalGrant.objects.get(token_user=legal)
    assert grant.is_active and grant.enabled_by == team_lead and grant.api_key is None
    record = audit_of(grants.ENABLE).get()
    assert record.actor == team_lead and record.target_id == str(grant.pk)
    assert record.data == {"token_user": legal.pk, "factor": "totp"}
    # Shown on the token page, with who enabled it.
    page = lead_confirmed.get(reverse("apikeys:tokens")).content.decode()
    assert "May approve" in page and f"enabled by {team_lead.get_full_name()}" in page


def test_enabling_without_a_recent_factor_goes_to_the_confirm_page(enforced, team_lead, legal, client, clock):
    device, _codes = enrol(team_lead)
    Token.objects.create(user=legal)
    client.force_login(team_lead)
    confirm(client, device, clock)
    clock.shift(16 * 60)  # the confirmation is older than the step-up window
    response = enable_token(client, legal)
    assert response.status_code == 302 and response["Location"].startswith(reverse("twofactor:confirm"))
    assert not ApprovalGrant.objects.exists() and not audit_of(grants.ENABLE).exists()


def test_enabling_needs_a_factor_even_without_enforcement(team_lead, legal, client):
    """With enforcement off step-up does not apply to someone without a device; a grant still needs one."""
    Token.objects.create(user=legal)
    client.force_login(team_lead)
    response = enable_token(client, legal)
    assert response.status_code == 302 and response["Location"].startswith(reverse("twofactor:confirm"))
    assert not ApprovalGrant.objects.exists()
    with pytest.raises(stepup.StepUpRequired):
        grants.grant_enable(actor=team_lead, factor="", token_user=legal)


@pytest.mark.parametrize("persona", ["communicator", "legal", "observer"])
def test_non_team_leads_may_not_enable(enforced, persona, request, legal, client, clock):
    user = request.getfixturevalue(persona)
    device, _codes = enrol(user)
    Token.objects.create(user=legal)
    client.force_login(user)
    confirm(client, device, clock)
    assert enable_token(client, legal).status_code == 403
    assert client.get(reverse("apikeys:tokens")).status_code == 403
    with pytest.raises(grants.PermissionDenied):
        grants.grant_enable(actor=user, factor="totp", token_user=legal)
    assert not ApprovalGrant.objects.exists()


def test_a_person_without_a_token_cannot_be_granted(enforced, lead_confirmed, legal):
    assert enable_token(lead_confirmed, legal).status_code == 404
    assert not ApprovalGrant.objects.exists()


def test_enabling_twice_keeps_the_one_grant(enforced, lead_confirmed, legal):
    Token.objects.create(user=legal)
    enable_token(lead_confirmed, legal)
    enable_token(lead_confirmed, legal)
    assert ApprovalGrant.objects.count() == 1 and audit_of(grants.ENABLE).count() == 1


# --- personal tokens approving ------------------------------------------------------------------------------


def test_token_without_grant_is_refused(enforced, build, legal):
    statement = build(S.IN_REVIEW)
    response = api_approve(token_client(Token.objects.create(user=legal)), statement)
    assert response.status_code == 403 and response.json()["code"] == "token_not_allowed"
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


def test_token_with_grant_approves_and_the_audit_names_the_grant(enforced, build, lead_confirmed, legal):
    statement = build(S.IN_REVIEW)
    token = Token.objects.create(user=legal)
    enable_token(lead_confirmed, legal)
    grant = ApprovalGrant.objects.get()
    response = api_approve(token_client(token), statement)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == S.APPROVED
    event = AuditEvent.objects.get(object_id=statement.pk, action=Action.APPROVE)
    assert event.actor == legal
    assert event.data["factor"] == "token-grant" and event.data["grant"] == grant.pk


def test_revoked_grant_is_refused_again_and_audited(enforced, build, lead_confirmed, team_lead, legal):
    statement = build(S.IN_REVIEW)
    token = Token.objects.create(user=legal)
    enable_token(lead_confirmed, legal)
    grant = ApprovalGrant.objects.get()
    url = reverse("apikeys:token_grant", kwargs={"user_id": legal.pk})
    assert lead_confirmed.post(url, {"action": "revoke"}).status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == team_lead
    record = audit_of(grants.REVOKE).get()
    assert record.actor == team_lead and record.target_id == str(grant.pk) and record.to_state == "revoked"
    response = api_approve(token_client(token), statement)
    assert response.status_code == 403 and response.json()["code"] == "token_not_allowed"


def test_author_cannot_approve_own_statement_even_with_a_grant(enforced, build, lead_confirmed, team_lead, legal):
    """The engine's author ≠ reviewer rule is unchanged: the lead wrote it, the lead's token may not approve it."""
    statement = build(S.IN_REVIEW, author=team_lead)
    token = Token.objects.create(user=team_lead)
    enable_token(lead_confirmed, team_lead)
    assert ApprovalGrant.objects.filter(token_user=team_lead).exists()
    response = api_approve(token_client(token), statement)
    assert response.status_code == 403
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


def test_token_grant_does_not_widen_the_role(enforced, build, lead_confirmed, observer):
    """An observer's token, granted, still may not approve: the role decides, not the grant."""
    statement = build(S.IN_REVIEW)
    token = Token.objects.create(user=observer)
    enable_token(lead_confirmed, observer)
    assert api_approve(token_client(token), statement).status_code in (403, 404)
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


def test_deleting_the_token_revokes_its_grant(enforced, build, lead_confirmed, legal):
    statement = build(S.IN_REVIEW)
    Token.objects.create(user=legal)
    enable_token(lead_confirmed, legal)
    Token.objects.filter(user=legal).delete()
    grant = ApprovalGrant.objects.get()
    assert grant.revoked_at is not None
    assert audit_of(grants.REVOKE).get().comment == "token deleted"
    # A new token for the same person is not granted.
    response = api_approve(token_client(Token.objects.create(user=legal)), statement)
    assert response.status_code == 403 and response.json()["code"] == "token_not_allowed"


def test_a_token_issued_after_the_grant_is_not_the_granted_one(enforced, build, lead_confirmed, legal, clock):
    """Belt and braces: a token created later than the active grant (e.g. replaced behind the signal) is refused."""
    statement = build(S.IN_REVIEW)
    Token.objects.create(user=legal)
    enable_token(lead_confirmed, legal)
    clock.shift(60)
    Token.objects.filter(user=legal).update(created=timezone.now())
    token = Token.objects.get(user=legal)
    assert api_approve(token_client(token), statement).status_code == 403


# --- integration keys ---------------------------------------------------------------------------------------


@pytest.fixture
def legal_key(admin_user, legal):
    key, raw = apikey_services.apikey_create(actor=admin_user, name="Publisher", scopes=["read", "write"], user=legal)
    return key, raw


@pytest.fixture
def admin_confirmed(admin_user, client, clock):
    device, _codes = enrol(admin_user)
    client.force_login(admin_user)
    return confirm(client, device, clock)


def test_key_without_grant_is_refused(enforced, build, legal_key):
    statement = build(S.IN_REVIEW)
    response = api_approve(key_client(legal_key[1]), statement)
    assert response.status_code == 403 and response.json()["code"] == "token_not_allowed"


def test_key_with_grant_approves_within_its_write_scope(enforced, build, admin_confirmed, admin_user, legal_key):
    key, raw = legal_key
    statement = build(S.IN_REVIEW)
    response = admin_confirmed.post(reverse("apikeys:grant", kwargs={"pk": key.pk}), {"action": "enable"})
    assert response.status_code == 302
    grant = ApprovalGrant.objects.get(api_key=key)
    assert grant.enabled_by == admin_user
    assert audit_of(grants.ENABLE).get().data == {"api_key": key.prefix, "user": key.user_id, "factor": "totp"}
    page = admin_confirmed.get(reverse("apikeys:list")).content.decode()
    assert "May approve" in page and "Revoke approvals" in page
    response = api_approve(key_client(raw), statement)
    assert response.status_code == 200, response.json()
    event = AuditEvent.objects.get(object_id=statement.pk, action=Action.APPROVE)
    assert event.data["factor"] == "token-grant" and event.data["grant"] == grant.pk


def test_granted_key_without_write_scope_is_refused(enforced, build, admin_user, legal):
    key, raw = apikey_services.apikey_create(actor=admin_user, name="Reader", scopes=["read"], user=legal)
    grants.grant_enable(actor=admin_user, factor="totp", api_key=key)
    statement = build(S.IN_REVIEW)
    assert api_approve(key_client(raw), statement).status_code == 403
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


def test_revoking_the_key_revokes_its_grant(enforced, admin_user, legal_key):
    key, _raw = legal_key
    grant = grants.grant_enable(actor=admin_user, factor="totp", api_key=key)
    apikey_services.apikey_revoke(actor=admin_user, key=key)
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == admin_user
    assert audit_of(grants.REVOKE).get().comment == "key revoked"


def test_a_team_lead_cannot_grant_a_key_they_do_not_manage(enforced, lead_confirmed, team_lead, legal_key):
    key, _raw = legal_key  # created by the administrator, acting as Legal
    response = lead_confirmed.post(reverse("apikeys:grant", kwargs={"pk": key.pk}), {"action": "enable"})
    assert response.status_code == 404
    assert not ApprovalGrant.objects.exists()


def test_a_revoked_key_cannot_be_granted(enforced, admin_user, legal_key):
    key, _raw = legal_key
    apikey_services.apikey_revoke(actor=admin_user, key=key)
    with pytest.raises(grants.ValidationError):
        grants.grant_enable(actor=admin_user, factor="totp", api_key=key)


# --- the admin ----------------------------------------------------------------------------------------------


def admin_action(client, action, key):
    url = reverse("admin:apikeys_apikey_changelist")
    return client.post(url, {"action": action, "_selected_action": [key.pk]})


def test_admin_allow_approvals_needs_the_leads_fresh_factor(enforced, admin_as, staff_people, clock):
    lead = staff_people["team_lead"]
    key, _raw = apikey_services.apikey_create(actor=lead, name="Lead's publisher", scopes=["write"])
    device, _codes = enrol(lead)
    client = admin_as("team_lead")
    response = admin_action(client, "allow_approvals", key)
    assert response.status_code == 302 and response["Location"].startswith(reverse("twofactor:confirm"))
    assert not ApprovalGrant.objects.exists()

    confirm(client, device, clock)
    admin_action(client, "allow_approvals", key)
    grant = ApprovalGrant.objects.get(api_key=key)
    assert grant.enabled_by == lead and audit_of(grants.ENABLE).get().data["factor"] == "totp"

    admin_action(client, "revoke_approvals", key)
    grant.refresh_from_db()
    assert grant.revoked_by == lead and audit_of(grants.REVOKE).count() == 1
    # The grants' own list shows both states to a team lead, to nobody else.
    assert client.get(reverse("admin:apikeys_approvalgrant_changelist")).status_code == 200


def test_admin_grant_list_is_closed_to_non_team_leads(admin_as):
    assert admin_as("legal").get(reverse("admin:apikeys_approvalgrant_changelist")).status_code == 403


def test_granted_tokens_publish_and_withdraw(enforced, build, lead_confirmed, communicator, team_lead):
    statement = build(S.APPROVED)
    comms_token, lead_token = Token.objects.create(user=communicator), Token.objects.create(user=team_lead)
    enable_token(lead_confirmed, communicator)
    enable_token(lead_confirmed, team_lead)
    comms_grant, lead_grant = (
        ApprovalGrant.objects.get(token_user=communicator),
        ApprovalGrant.objects.get(token_user=team_lead),
    )
    publish = reverse("api:statement-publish", kwargs={"pk": statement.pk})
    assert token_client(comms_token).post(publish, {}, format="json").status_code == 200
    withdraw = reverse("api:statement-withdraw", kwargs={"pk": statement.pk})
    response = token_client(lead_token).post(withdraw, {"reason": "Shelved."}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == S.WITHDRAWN
    published = AuditEvent.objects.get(object_id=statement.pk, action=Action.PUBLISH)
    assert published.data["factor"] == "token-grant" and published.data["grant"] == comms_grant.pk
    withdrawn = AuditEvent.objects.get(object_id=statement.pk, action=Action.WITHDRAW)
    assert withdrawn.data["factor"] == "token-grant" and withdrawn.data["grant"] == lead_grant.pk


def test_key_grant_revoked_from_the_key_page(enforced, admin_confirmed, admin_user, legal_key):
    key, _raw = legal_key
    url = reverse("apikeys:grant", kwargs={"pk": key.pk})
    assert admin_confirmed.get(url).status_code == 405
    admin_confirmed.post(url, {"action": "enable"})
    assert admin_confirmed.post(url, {"action": "bogus"}).status_code == 400
    assert admin_confirmed.post(url, {"action": "revoke"}).status_code == 302
    grant = ApprovalGrant.objects.get()
    assert grant.revoked_by == admin_user
    assert "Allow approvals" in admin_confirmed.get(reverse("apikeys:list")).content.decode()
