"""Step-up: approving, publishing and withdrawing need a second factor confirmed in the last N minutes.

Through the browser (redirect to the confirm page, nothing done), the session API (403 step_up_required),
tokens and integration keys (403), and the admin; the audit event names the factor that confirmed.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crisisdesk.apikeys import services as apikey_services
from crisisdesk.review import services as review
from crisisdesk.review.models import Action, AuditEvent, Decision, ReviewDecision, ReviewStatus
from crisisdesk.review.registry import kind_of
from crisisdesk.review.tests.helpers import make_key_message, statement_in
from crisisdesk.twofactor import stepup
from playbooks.tests.playbook_helpers import make_playbook, second_team_lead

from .helpers import confirm, enrol

pytestmark = pytest.mark.django_db
S = ReviewStatus


@pytest.fixture
def build(incident, communicator, legal, team_lead):
    def _build(status):
        return statement_in(
            status, author=communicator, reviewer=legal, publisher=communicator, withdrawer=team_lead, incident=incident
        )

    return _build


def press(client, item, action, **fields):
    data = {"action": action, "revision": item.current_revision_id, "comment": "Checked.", "confirmed": "1"}
    return client.post(kind_of(item).transition_url(item), {**data, **fields})


def approvals(item):
    return ReviewDecision.objects.filter(object_id=item.pk, decision=Decision.APPROVE, revision=item.current_revision)


# --- the browser ------------------------------------------------------------------------------------------


def test_browser_approval_without_a_factor_goes_to_the_confirm_page_and_does_nothing(
    enforced, build, legal, client_for, clock
):
    enrol(legal)
    statement = build(S.IN_REVIEW)
    client = client_for(legal)
    response = press(client, statement, Action.APPROVE)
    # Signed in without the factor: the middleware stops even this POST (no Referer: back to the dashboard).
    assert response.status_code == 302
    assert response["Location"] == stepup.confirm_url(reverse("dashboard"))
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW and not approvals(statement).exists()


def test_browser_approval_after_confirming_records_the_factor(enforced, build, legal, client_for, clock):
    device, _codes = enrol(legal)
    statement = build(S.IN_REVIEW)
    client = confirm(client_for(legal), device, clock)
    response = press(client, statement, Action.APPROVE)
    assert response.status_code == 302 and response["Location"] == kind_of(statement).url(statement)
    statement.refresh_from_db()
    assert statement.status == S.APPROVED
    event = AuditEvent.objects.get(object_id=statement.pk, action=Action.APPROVE)
    assert event.data["factor"] == "totp"


def test_step_up_expires_after_the_configured_minutes(enforced, settings, build, legal, client_for, clock):
    device, _codes = enrol(legal)
    statement = build(S.IN_REVIEW)
    client = confirm(client_for(legal), device, clock)
    clock.shift(timedelta(minutes=16))
    response = press(client, statement, Action.APPROVE)
    assert response["Location"].startswith(reverse("twofactor:confirm"))
    assert not approvals(statement).exists()
    settings.CRISISDESK_STEP_UP_MINUTES = 30  # configurable: the same confirmation is recent enough now
    press(client, statement, Action.APPROVE)
    assert approvals(statement).count() == 1


def test_enforced_user_without_a_device_is_sent_to_enrol_before_publishing(enforced, build, communicator, client_for):
    statement = build(S.APPROVED)
    response = press(client_for(communicator), statement, Action.PUBLISH)
    assert response.status_code == 302 and response["Location"].startswith(reverse("twofactor:confirm"))
    # The confirm page sends someone without a device on to enrolment.
    follow = client_for(communicator).get(response["Location"])
    assert follow["Location"].startswith(reverse("twofactor:enrol"))
    statement.refresh_from_db()
    assert statement.status == S.APPROVED and statement.published_at is None


def test_publish_and_withdraw_by_recovery_code_record_recovery(enforced, build, communicator, team_lead, client_for):
    statement = build(S.APPROVED)
    _device, codes = enrol(communicator)
    client = client_for(communicator)
    client.post(reverse("twofactor:confirm"), {"code": codes[0]})
    press(client, statement, Action.PUBLISH)
    statement.refresh_from_db()
    assert statement.status == S.PUBLISHED
    assert AuditEvent.objects.get(object_id=statement.pk, action=Action.PUBLISH).data["factor"] == "recovery"

    _device, lead_codes = enrol(team_lead)
    client = client_for(team_lead)
    assert press(client, statement, Action.WITHDRAW, comment="Wrong figure.")["Location"].startswith(
        reverse("twofactor:confirm")
    )
    client.post(reverse("twofactor:confirm"), {"code": lead_codes[3]})
    press(client, statement, Action.WITHDRAW, comment="Wrong figure.")
    statement.refresh_from_db()
    assert statement.status == S.WITHDRAWN
    assert AuditEvent.objects.get(object_id=statement.pk, action=Action.WITHDRAW).data["factor"] == "recovery"


def test_submitting_and_requesting_changes_need_no_factor(enforced, build, communicator, legal, client_for, clock):
    device, _codes = enrol(legal)
    statement = build(S.DRAFT)
    press(client_for(communicator), statement, Action.SUBMIT)
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW
    legal_client = confirm(client_for(legal), device, clock)
    clock.shift(timedelta(minutes=60))  # long past the step-up window: signed in with the factor is enough
    press(legal_client, statement, Action.REQUEST_CHANGES, comment="Cite the recall notice.")
    statement.refresh_from_db()
    assert statement.status == S.DRAFT


def test_key_message_and_playbook_version_approvals_need_a_factor(
    enforced, communicator, legal, team_lead, client_for, clock
):
    key_message = make_key_message(author=communicator)
    review.review_submit(actor=communicator, item=key_message)
    key_message.refresh_from_db()
    version = make_playbook(author=second_team_lead()).versions.get()
    review.review_submit(actor=version.created_by, item=version)
    version.refresh_from_db()

    legal_device, _codes = enrol(legal)
    assert press(client_for(legal), key_message, Action.APPROVE)["Location"].startswith(reverse("twofactor:confirm"))
    assert not approvals(key_message).exists()
    press(confirm(client_for(legal), legal_device, clock), key_message, Action.APPROVE)
    assert approvals(key_message).count() == 1

    lead_device, _codes = enrol(team_lead)
    assert press(client_for(team_lead), version, Action.APPROVE)["Location"].startswith(reverse("twofactor:confirm"))
    assert not approvals(version).exists()
    press(confirm(client_for(team_lead), lead_device, clock), version, Action.APPROVE)
    assert approvals(version).count() == 1
    event = AuditEvent.objects.get(object_id=version.pk, action=Action.APPROVE, content_type__model="playbookversion")
    assert event.data["factor"] == "totp"


def test_without_enforcement_a_user_without_a_device_approves_as_before(build, legal, client_for):
    statement = build(S.IN_REVIEW)
    press(client_for(legal), statement, Action.APPROVE)
    statement.refresh_from_db()
    assert statement.status == S.APPROVED
    assert "factor" not in AuditEvent.objects.get(object_id=statement.pk, action=Action.APPROVE).data


def test_without_enforcement_a_user_who_enrolled_still_steps_up(build, legal, client_for):
    enrol(legal)
    statement = build(S.IN_REVIEW)
    assert press(client_for(legal), statement, Action.APPROVE)["Location"].startswith(reverse("twofactor:confirm"))
    assert not approvals(statement).exists()


# --- the API ----------------------------------------------------------------------------------------------


def api_approve(client, statement):
    url = reverse("api:statement-approve", kwargs={"pk": statement.pk})
    return client.post(url, {"revision": statement.current_revision.number}, format="json")


def test_session_api_answers_403_step_up_required_and_writes_nothing(enforced, build, legal, clock):
    device, _codes = enrol(legal)
    statement = build(S.IN_REVIEW)
    client = APIClient()
    client.force_login(legal)
    response = api_approve(client, statement)
    assert response.status_code == 403
    assert response.json()["code"] == "step_up_required"
    assert not approvals(statement).exists()

    confirm(client, device, clock)
    response = api_approve(client, statement)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == S.APPROVED
    assert AuditEvent.objects.get(object_id=statement.pk, action=Action.APPROVE).data["factor"] == "totp"


def test_session_api_publish_and_withdraw_need_the_factor(enforced, build, communicator, clock):
    statement = build(S.APPROVED)
    device, _codes = enrol(communicator)
    client = APIClient()
    client.force_login(communicator)
    publish = reverse("api:statement-publish", kwargs={"pk": statement.pk})
    withdraw = reverse("api:statement-withdraw", kwargs={"pk": statement.pk})
    assert client.post(publish, {}, format="json").json()["code"] == "step_up_required"
    assert client.post(withdraw, {"reason": "Shelved."}, format="json").json()["code"] == "step_up_required"
    statement.refresh_from_db()
    assert statement.status == S.APPROVED

    confirm(client, device, clock)
    assert client.post(publish, {}, format="json").status_code == 200
    assert AuditEvent.objects.get(object_id=statement.pk, action=Action.PUBLISH).data["factor"] == "totp"


def test_a_personal_token_cannot_approve_even_after_the_session_confirmed(enforced, build, legal, clock):
    device, _codes = enrol(legal)
    statement = build(S.IN_REVIEW)
    token = Token.objects.create(user=legal)
    client = APIClient()
    confirm(client_with_login(client, legal), device, clock)
    client.logout()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_approve(client, statement)
    assert response.status_code == 403
    assert response.json()["code"] == "token_not_allowed"
    assert not approvals(statement).exists()
    # Reads still work with the token.
    assert client.get(reverse("api:statement-detail", kwargs={"pk": statement.pk})).status_code == 200


def test_a_personal_token_cannot_approve_without_enforcement_either(build, legal):
    statement = build(S.IN_REVIEW)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=legal).key}")
    response = api_approve(client, statement)
    assert response.status_code == 403 and response.json()["code"] == "token_not_allowed"
    assert not approvals(statement).exists()


def test_an_integration_key_cannot_approve(enforced, build, legal, admin_user):
    statement = build(S.IN_REVIEW)
    _key, raw = apikey_services.apikey_create(actor=admin_user, name="Publisher", scopes=["read"], user=legal)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert api_approve(client, statement).status_code == 403
    assert not approvals(statement).exists()


def test_an_invisible_statement_is_still_a_404_not_a_step_up(enforced, confidential_incident, legal, team_lead):
    statement = statement_in(
        S.IN_REVIEW,
        author=team_lead,
        reviewer=legal,
        publisher=team_lead,
        withdrawer=team_lead,
        incident=confidential_incident,
    )
    client = APIClient()
    client.force_login(legal)
    assert api_approve(client, statement).status_code == 404


def client_with_login(client, user):
    client.force_login(user)
    return client


# --- the admin --------------------------------------------------------------------------------------------


def test_admin_approve_action_needs_a_factor(enforced, build, admin_as, staff_people, clock):
    legal = staff_people["legal"]
    device, _codes = enrol(legal)
    statement = build(S.IN_REVIEW)
    client = confirm(admin_as("legal"), device, clock)
    clock.shift(timedelta(minutes=20))
    changelist = reverse("admin:incidents_statement_changelist")
    data = {"action": "approve_items", "_selected_action": [statement.pk], "apply": "1"}
    data[f"revision_{statement.pk}"] = statement.current_revision.pk
    response = client.post(changelist, data)
    assert response.status_code == 302 and response["Location"] == stepup.confirm_url(changelist)
    assert not approvals(statement).exists()

    confirm(client, device, clock)
    client.post(changelist, data)
    assert approvals(statement).count() == 1
    assert AuditEvent.objects.get(object_id=statement.pk, action=Action.APPROVE).data["factor"] == "totp"


def test_session_api_key_message_and_playbook_version_approvals_need_the_factor(
    enforced, communicator, legal, team_lead, clock
):
    key_message = make_key_message(author=communicator)
    review.review_submit(actor=communicator, item=key_message)
    version = make_playbook(author=second_team_lead()).versions.get()
    review.review_submit(actor=version.created_by, item=version)
    for user, item, basename in ((legal, key_message, "keymessage"), (team_lead, version, "playbookversion")):
        item.refresh_from_db()
        device, _codes = enrol(user)
        client = APIClient()
        client.force_login(user)
        url = reverse(f"api:{basename}-approve", kwargs={"pk": item.pk})
        body = {"revision": item.current_revision.number}
        response = client.post(url, body, format="json")
        assert response.status_code == 403 and response.json()["code"] == "step_up_required"
        assert not approvals(item).exists()
        confirm(client, device, clock)
        assert client.post(url, body, format="json").status_code == 200
        assert approvals(item).count() == 1
