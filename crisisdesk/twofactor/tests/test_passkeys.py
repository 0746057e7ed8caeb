"""Passkeys: registration and confirmation verified on real WebAuthn payloads (a software authenticator).

A forged signature, another origin, another challenge, a replayed counter, a spent or missing challenge,
someone else's passkey: each is refused and no factor is recorded. Removal needs a recent factor; the
enforcement takes a passkey as the device of a required role; an approval records ``passkey``.
"""

import json
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp_webauthn.models import WebAuthnCredential

from crisisdesk.audit.models import AuditRecord
from crisisdesk.review.models import Action, AuditEvent, ReviewStatus
from crisisdesk.review.registry import kind_of
from crisisdesk.settings import _site_origin
from crisisdesk.twofactor import passkeys, services, stepup

from .authenticator import SoftAuthenticator
from .helpers import enrol, statement_awaiting_legal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def relying_party(settings):
    settings.OTP_WEBAUTHN_RP_ID = "testserver"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://testserver"]


def call(client, name, body=None):
    return client.post(reverse(f"twofactor:{name}"), json.dumps(body or {}), content_type="application/json")


def register(client, authenticator, name="Work laptop", **tamper):
    options = call(client, "passkey_register_begin").json()
    return call(
        client,
        "passkey_register_complete",
        {"name": name, "credential": authenticator.create(options, **tamper)},
    )


def confirm_with(client, authenticator, next_url="", **tamper):
    options = call(client, "passkey_confirm_begin").json()
    return call(
        client, "passkey_confirm_complete", {"credential": authenticator.get(options, **tamper), "next": next_url}
    )


@pytest.fixture
def registered(client_for, legal):
    """Legal with one passkey, and a fresh session that has confirmed nothing yet."""
    client = client_for(legal)
    authenticator = SoftAuthenticator()
    assert register(client, authenticator).status_code == 200
    client.logout()
    return client_for(legal), authenticator


# --- registration -----------------------------------------------------------------------------------------


def test_a_first_passkey_is_verified_named_audited_and_counts_as_confirmed(client_for, legal):
    client = client_for(legal)
    options = call(client, "passkey_register_begin").json()
    assert options["rp"]["id"] == "testserver" and options["challenge"]
    authenticator = SoftAuthenticator()
    response = call(
        client, "passkey_register_complete", {"name": "  Work   laptop ", "credential": authenticator.create(options)}
    )
    assert response.status_code == 200 and response.json() == {"redirect": reverse("twofactor:overview")}
    passkey = WebAuthnCredential.objects.get(user=legal)
    assert passkey.name == "Work laptop" and passkey.credential_id == authenticator.credential_id
    assert stepup.has_device(legal)
    assert stepup.recent_factor(client.session) == stepup.PASSKEY
    assert AuditRecord.objects.filter(action="twofactor.passkey_added", actor=legal).count() == 1
    page = client.get(reverse("twofactor:overview"))
    assert "Work laptop" in page.content.decode()


@pytest.mark.parametrize(
    ("tamper", "name"),
    [({"origin": "https://evil.example"}, "Laptop"), ({"challenge": "AAAAAAAAAAAAAAAAAAAAAA"}, "Laptop"), ({}, "")],
    ids=["wrong-origin", "wrong-challenge", "no-name"],
)
def test_a_bad_registration_is_refused_and_nothing_is_kept(client_for, legal, tamper, name):
    client = client_for(legal)
    response = register(client, SoftAuthenticator(), name=name, **tamper)
    assert response.status_code == 400 and response.json()["detail"]
    assert not WebAuthnCredential.objects.exists()
    assert stepup.recent_factor(client.session) is None
    assert not AuditRecord.objects.filter(action="twofactor.passkey_added").exists()


def test_adding_a_passkey_next_to_an_app_needs_a_recent_factor(client_for, legal):
    enrol(legal)
    client = client_for(legal)  # a new session: the factor is not confirmed in it
    response = call(client, "passkey_register_begin")
    assert response.status_code == 403 and response.json()["code"] == "step_up_required"
    assert response.json()["redirect"].startswith(reverse("twofactor:confirm"))


def test_a_registration_challenge_serves_once(client_for, legal):
    client = client_for(legal)
    authenticator = SoftAuthenticator()
    options = call(client, "passkey_register_begin").json()
    credential = authenticator.create(options)
    assert call(client, "passkey_register_complete", {"name": "A", "credential": credential}).status_code == 200
    again = call(client, "passkey_register_complete", {"name": "B", "credential": credential})
    assert again.status_code == 400 and WebAuthnCredential.objects.count() == 1


def test_malformed_bodies_are_a_clear_400(client_for, legal):
    client = client_for(legal)
    call(client, "passkey_register_begin")
    garbage = client.post(reverse("twofactor:passkey_register_complete"), "{not json", content_type="application/json")
    assert garbage.status_code == 400 and garbage.json()["detail"]
    call(client, "passkey_register_begin")
    wrong_shape = call(client, "passkey_register_complete", {"name": "A", "credential": {"id": "x"}})
    assert wrong_shape.status_code == 400
    assert not WebAuthnCredential.objects.exists()


def test_signed_out_calls_are_refused(client):
    assert call(client, "passkey_register_begin").status_code == 403
    assert call(client, "passkey_confirm_complete").status_code == 403


# --- confirmation (step-up) -------------------------------------------------------------------------------


def test_confirming_with_the_passkey_records_the_factor_and_moves_the_counter(registered, legal):
    client, authenticator = registered
    assert stepup.recent_factor(client.session) is None
    response = confirm_with(client, authenticator, next_url="/incidents/")
    assert response.status_code == 200 and response.json() == {"redirect": "/incidents/"}
    assert stepup.recent_factor(client.session) == stepup.PASSKEY
    passkey = WebAuthnCredential.objects.get(user=legal)
    assert passkey.sign_count == authenticator.sign_count and passkey.last_used_at is not None


def test_an_unsafe_next_is_not_followed(registered):
    client, authenticator = registered
    assert confirm_with(client, authenticator, next_url="https://evil.example/").json() == {
        "redirect": reverse("dashboard")
    }


@pytest.mark.parametrize(
    "tamper",
    [
        {"tamper_signature": True},
        {"origin": "https://evil.example"},
        {"origin": "http://testserver:8080"},
        {"challenge": "AAAAAAAAAAAAAAAAAAAAAA"},
        {"advance_counter": False},
    ],
    ids=["bad-signature", "wrong-origin", "wrong-port", "wrong-challenge", "replayed-counter"],
)
def test_a_bad_assertion_is_refused_and_no_factor_is_recorded(registered, legal, tamper):
    client, authenticator = registered
    confirm_with(client, authenticator)  # a first good one: the counter is 2 on both sides
    client.logout()
    client.force_login(legal)
    count = WebAuthnCredential.objects.get(user=legal).sign_count
    response = confirm_with(client, authenticator, **tamper)
    assert response.status_code == 400 and response.json()["detail"] == "This passkey could not be verified. Try again."
    assert stepup.recent_factor(client.session) is None
    assert stepup.confirmed_at(client.session) is None
    assert WebAuthnCredential.objects.get(user=legal).sign_count == count


def test_an_assertion_replayed_as_is_is_refused(registered):
    client, authenticator = registered
    options = call(client, "passkey_confirm_begin").json()
    assertion = authenticator.get(options)
    assert call(client, "passkey_confirm_complete", {"credential": assertion}).status_code == 200
    # Same bytes again, with or without a new challenge: the first is spent, the second does not match.
    assert call(client, "passkey_confirm_complete", {"credential": assertion}).status_code == 400
    call(client, "passkey_confirm_begin")
    assert call(client, "passkey_confirm_complete", {"credential": assertion}).status_code == 400


def test_someone_elses_passkey_does_not_confirm_my_factor(registered, client_for, communicator):
    _client, legal_authenticator = registered
    mine = client_for(communicator)
    mine_authenticator = SoftAuthenticator()
    assert register(mine, mine_authenticator).status_code == 200
    mine.logout()
    mine = client_for(communicator)
    options = call(mine, "passkey_confirm_begin").json()
    response = call(mine, "passkey_confirm_complete", {"credential": legal_authenticator.get(options)})
    assert response.status_code == 400 and stepup.recent_factor(mine.session) is None


def test_confirming_without_a_passkey_is_refused(client_for, communicator):
    response = call(client_for(communicator), "passkey_confirm_begin")
    assert response.status_code == 400 and response.json()["detail"] == "You have no passkey yet."


def test_an_approval_confirmed_by_a_passkey_names_it_in_the_audit_event(
    registered, settings, legal, communicator, team_lead, incident
):
    settings.CRISISDESK_2FA_ENFORCE = True
    client, authenticator = registered
    statement = statement_awaiting_legal(communicator=communicator, legal=legal, team_lead=team_lead, incident=incident)
    assert confirm_with(client, authenticator).status_code == 200
    data = {"action": Action.APPROVE, "revision": statement.current_revision_id, "comment": "Ok.", "confirmed": "1"}
    response = client.post(kind_of(statement).transition_url(statement), data)
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.APPROVED
    assert AuditEvent.objects.get(object_id=statement.pk, action=Action.APPROVE).data["factor"] == "passkey"


# --- enforcement ------------------------------------------------------------------------------------------


def test_a_passkey_is_the_device_of_a_required_role(enforced, registered):
    client, _authenticator = registered
    response = client.get(reverse("incidents:list"))
    assert response["Location"] == stepup.confirm_url("/incidents/")  # confirm, not enrol
    page = client.get(response["Location"]).content.decode()
    assert 'id="cd-passkey-confirm"' in page and 'name="code"' not in page  # no app: no code field


def test_the_confirm_page_offers_both_when_both_are_enrolled(registered, legal):
    client, _authenticator = registered
    enrol(legal)
    page = client.get(reverse("twofactor:confirm")).content.decode()
    assert 'id="cd-passkey-confirm"' in page and 'name="code"' in page
    assert "/static/js/passkeys.js" in page


# --- removal ----------------------------------------------------------------------------------------------


def test_removing_a_passkey_needs_a_recent_factor(registered, legal):
    client, authenticator = registered
    passkey = WebAuthnCredential.objects.get(user=legal)
    url = reverse("twofactor:passkey_remove", kwargs={"pk": passkey.pk})
    response = client.post(url)
    assert response["Location"] == stepup.confirm_url(reverse("twofactor:overview"))
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    confirm_with(client, authenticator)
    assert client.post(url)["Location"] == reverse("twofactor:overview")
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    assert AuditRecord.objects.filter(action="twofactor.passkey_removed", actor=legal).count() == 1


def test_the_last_factor_of_a_required_role_cannot_be_removed(enforced, registered, legal):
    client, authenticator = registered
    confirm_with(client, authenticator)
    passkey = WebAuthnCredential.objects.get(user=legal)
    response = client.post(reverse("twofactor:passkey_remove", kwargs={"pk": passkey.pk}), follow=True)
    assert "Your role requires a second factor" in response.content.decode()
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_someone_elses_passkey_cannot_be_removed(registered, legal, client_for, outsider):
    passkey = WebAuthnCredential.objects.get(user=legal)
    response = client_for(outsider).post(reverse("twofactor:passkey_remove", kwargs={"pk": passkey.pk}))
    assert response.status_code == 404 and WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_passkeys_of_lists_only_confirmed_ones_of_the_user(registered, legal, communicator):
    assert list(passkeys.passkeys_of(legal).values_list("name", flat=True)) == ["Work laptop"]
    assert not passkeys.passkeys_of(communicator).exists()


# --- settings ---------------------------------------------------------------------------------------------


def test_the_relying_party_derives_from_the_site_address():
    assert _site_origin("https://crisis.example.org:8443/desk") == (
        "https://crisis.example.org:8443",
        "crisis.example.org",
    )
    assert _site_origin("") == ("", "")


def test_a_name_over_64_characters_is_refused_before_anything_is_checked(client_for, legal):
    client = client_for(legal)
    response = register(client, SoftAuthenticator(), name="x" * 65)
    assert response.status_code == 400
    assert response.json()["detail"] == "Keep the name to 64 characters at most."
    assert not WebAuthnCredential.objects.exists()


def test_the_overview_lists_the_passkeys_with_a_remove_button_and_the_add_form(registered, legal):
    client, _authenticator = registered
    passkey = WebAuthnCredential.objects.get(user=legal)
    page = client.get(reverse("twofactor:overview")).content.decode()
    assert reverse("twofactor:passkey_remove", kwargs={"pk": passkey.pk}) in page
    assert 'id="cd-passkey-register"' in page and "/static/js/passkeys.js" in page


def test_an_administrator_sees_the_passkeys_in_the_admin(registered, client_for, admin_user):
    response = client_for(admin_user).get(reverse("admin:django_otp_webauthn_webauthncredential_changelist"))
    assert response.status_code == 200 and "Work laptop" in response.content.decode()


def test_the_passkey_pages_keep_the_strict_policy_and_no_inline_code(registered, legal):
    from crisisdesk.tests.test_security import assert_no_inline_code, assert_strict

    client, _authenticator = registered
    enrol(legal)
    for url in (reverse("twofactor:overview"), reverse("twofactor:confirm")):
        response = client.get(url)
        assert response.status_code == 200
        assert_strict(response)
        assert_no_inline_code(response.content.decode())


def test_with_passkeys_only_recovery_codes_are_issued_and_confirm_the_factor(registered, legal, client_for):
    client, authenticator = registered
    page = client.get(reverse("twofactor:confirm")).content.decode()
    assert 'name="code"' not in page  # no app and no recovery codes yet: the passkey only
    assert client.post(reverse("twofactor:recovery_codes"))["Location"].startswith(reverse("twofactor:confirm"))
    confirm_with(client, authenticator)
    response = client.post(reverse("twofactor:recovery_codes"))
    assert response.status_code == 200 and len(response.context["codes"]) == 10
    code = response.context["codes"][0]
    client.logout()
    client = client_for(legal)
    page = client.get(reverse("twofactor:confirm")).content.decode()
    assert 'name="code"' in page and "Without your passkey, enter one of your recovery codes." in page
    assert client.post(reverse("twofactor:confirm"), {"code": "nope"}).status_code == 200  # refused, page again
    assert stepup.recent_factor(client.session) is None
    with time_machine.travel(timezone.now() + timedelta(seconds=2), tick=False):  # past the 1 s throttle
        response = client.post(reverse("twofactor:confirm"), {"code": code})
    assert response.status_code == 302 and stepup.recent_factor(client.session) == stepup.RECOVERY
    assert services.recovery_codes_left(legal) == 9
