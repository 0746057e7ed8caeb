"""End to end OpenID Connect sign-in against a real provider on 127.0.0.1 (no mocking of the RP)."""

import logging
import socket
from urllib.parse import urlparse

import pytest
import requests
from django.contrib.auth.models import Group
from django.urls import reverse

from crisisdesk.audit.models import AuditRecord
from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD
from crisisdesk.sso.tests.provider import Provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(settings):
    op = Provider().start()
    for name, value in op.settings().items():
        setattr(settings, name, value)
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = "Acme ID"
    settings.OIDC_CREATE_USER = True
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "crisisdesk.sso.backends.OIDCBackend"]
    op.user = {
        "sub": "u-1",
        "email": "alice@example.org",
        "preferred_username": "alice",
        "groups": [COMMUNICATOR, LEGAL],
    }
    for role in (COMMUNICATOR, LEGAL, TEAM_LEAD, OBSERVER):
        Group.objects.get_or_create(name=role)
    yield op
    op.stop()


def authorize(client, provider, *, tamper_state=False):
    """Start the sign-in at the RP, follow the provider's authorize redirect, return the callback URL."""
    start = client.get(reverse("oidc_authentication_init"))
    assert start.status_code == 302
    assert start["Location"].startswith(provider.url + "/authorize?")
    answer = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    callback = urlparse(answer.headers["Location"])
    query = callback.query
    if tamper_state:
        query = query.split("&state=")[0] + "&state=forged"
    return f"{callback.path}?{query}"


def sign_in(client, provider, **kwargs):
    return client.get(authorize(client, provider, **kwargs))


def roles_of(user):
    return set(user.groups.values_list("name", flat=True))


def test_good_sign_in_creates_user_with_mapped_groups(client, provider, django_user_model):
    provider.user["groups"] = [COMMUNICATOR, LEGAL, "unrelated-group"]
    response = sign_in(client, provider)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    user = django_user_model.objects.get(username="alice")
    assert user.email == "alice@example.org"
    assert not user.has_usable_password()
    assert roles_of(user) == {COMMUNICATOR, LEGAL}
    assert int(client.session["_auth_user_id"]) == user.pk
    assert provider.token_requests == 1
    record = AuditRecord.objects.get(action="sso.roles_synced")
    assert record.to_state == "Communicator, Legal"


def test_role_removed_at_provider_is_lost_at_next_sign_in(client, provider, django_user_model):
    sign_in(client, provider)
    user = django_user_model.objects.get(username="alice")
    other = Group.objects.create(name="Unmanaged")
    user.groups.add(other)
    user.is_superuser = True
    user.save()
    client.logout()
    provider.user["groups"] = [TEAM_LEAD]
    response = sign_in(client, provider)
    assert response.status_code == 302
    user.refresh_from_db()
    assert roles_of(user) == {TEAM_LEAD, "Unmanaged"}
    assert user.is_superuser
    last = AuditRecord.objects.filter(action="sso.roles_synced").order_by("-pk").first()
    assert (last.from_state, last.to_state) == ("Communicator, Legal", "Team lead")


def test_configurable_claim_name_and_values(client, provider, settings, django_user_model):
    settings.OIDC_ROLES_CLAIM = "roles"
    settings.OIDC_ROLE_VALUES = {"crisis-observers": OBSERVER}
    provider.user["roles"] = ["crisis-observers"]
    provider.user["groups"] = [COMMUNICATOR]
    sign_in(client, provider)
    assert roles_of(django_user_model.objects.get(username="alice")) == {OBSERVER}


def test_jit_off_refuses_unknown_user_with_clear_page(client, provider, settings, django_user_model):
    settings.OIDC_CREATE_USER = False
    response = sign_in(client, provider)
    assert response.status_code == 302
    assert response["Location"] == reverse("sso_refused")
    assert not django_user_model.objects.filter(username="alice").exists()
    page = client.get(response["Location"])
    assert page.status_code == 403
    assert b"not registered in CrisisDesk" in page.content
    assert "_auth_user_id" not in client.session


def test_jit_off_lets_existing_user_in(client, provider, settings, django_user_model):
    settings.OIDC_CREATE_USER = False
    existing = django_user_model.objects.create_user(username="alice-local", email="alice@example.org")
    response = sign_in(client, provider)
    assert response["Location"] == reverse("dashboard")
    assert roles_of(existing) == {COMMUNICATOR, LEGAL}


def closed_port_url(path: str) -> str:
    """A URL nothing listens on: the connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


INVALID = b"could not be verified"
UNAVAILABLE = b"did not answer properly"

# Each way the provider can fail a sign-in: how to make it fail, and which refusal the person sees.
MISBEHAVIOURS = {
    # The ID token itself.
    "wrong-signature": (lambda op, settings: setattr(op, "sign_with_other_key", True), INVALID),
    "wrong-audience": (lambda op, settings: setattr(op, "audience", "someone-else"), INVALID),
    "wrong-issuer": (lambda op, settings: setattr(op, "issuer", "https://id.evil.example"), INVALID),
    "expired": (lambda op, settings: setattr(op, "expired", True), INVALID),
    "id-token-not-a-jwt": (lambda op, settings: setattr(op, "id_token_text", "not-a-jwt"), INVALID),
    # The token endpoint.
    "token-5xx": (
        lambda op, settings: op.answer("/token", 503, "<h1>Down</h1>", content_type="text/html"),
        UNAVAILABLE,
    ),
    "token-429": (
        lambda op, settings: op.answer("/token", 429, {"error": "slow_down"}, headers={"Retry-After": "30"}),
        UNAVAILABLE,
    ),
    "token-4xx": (lambda op, settings: op.answer("/token", 400, {"error": "invalid_grant"}), INVALID),
    "token-malformed-json": (lambda op, settings: op.answer("/token", 200, '{"id_token": '), INVALID),
    "token-json-not-an-object": (lambda op, settings: op.answer("/token", 200, ["id_token"]), INVALID),
    "token-without-id-token": (
        lambda op, settings: op.answer("/token", 200, {"access_token": "a", "token_type": "Bearer"}),
        INVALID,
    ),
    "token-too-slow": (
        lambda op, settings: (setattr(settings, "OIDC_TIMEOUT", 0.5), op.delay.update({"/token": 2})),
        UNAVAILABLE,
    ),
    # The JWKS endpoint.
    "jwks-5xx": (lambda op, settings: op.answer("/jwks", 503, "down", content_type="text/plain"), UNAVAILABLE),
    "jwks-down": (
        lambda op, settings: setattr(settings, "OIDC_OP_JWKS_ENDPOINT", closed_port_url("/jwks")),
        UNAVAILABLE,
    ),
    "jwks-malformed-json": (lambda op, settings: op.answer("/jwks", 200, "<html>"), INVALID),
    "jwks-not-an-object": (lambda op, settings: op.answer("/jwks", 200, [{"kid": "test-key-1"}]), INVALID),
    "jwks-unusable-key": (
        lambda op, settings: op.answer("/jwks", 200, {"keys": [{"kid": "test-key-1", "alg": "RS256", "kty": "RSA"}]}),
        INVALID,
    ),
    # The userinfo endpoint.
    "userinfo-5xx": (
        lambda op, settings: op.answer("/userinfo", 502, "bad gateway", content_type="text/plain"),
        UNAVAILABLE,
    ),
    "userinfo-not-an-object": (lambda op, settings: op.answer("/userinfo", 200, ["alice"]), INVALID),
}


@pytest.mark.parametrize("misbehaviour", list(MISBEHAVIOURS))
def test_a_failing_provider_gives_a_clear_refusal_and_no_user_or_session(
    client, provider, settings, misbehaviour, django_user_model, caplog
):
    make_it_fail, explanation = MISBEHAVIOURS[misbehaviour]
    make_it_fail(provider, settings)
    with caplog.at_level(logging.WARNING, logger="crisisdesk.sso.backends"):
        response = sign_in(client, provider)
    assert response.status_code == 302
    assert response["Location"] == reverse("sso_refused")
    assert provider.token_requests == 1  # the RP really asked for the token
    assert not django_user_model.objects.exists()
    assert "_auth_user_id" not in client.session
    refusals = [r for r in caplog.records if r.name == "crisisdesk.sso.backends" and r.levelno == logging.WARNING]
    assert len(refusals) == 1
    assert refusals[0].getMessage().startswith("OpenID Connect sign-in refused")
    page = client.get(response["Location"])
    assert page.status_code == 403
    assert explanation in page.content
    assert b"Back to sign-in" in page.content


def test_an_unreachable_token_endpoint_gives_a_clear_refusal(client, provider, settings, django_user_model, caplog):
    settings.OIDC_OP_TOKEN_ENDPOINT = closed_port_url("/token")
    with caplog.at_level(logging.WARNING, logger="crisisdesk.sso.backends"):
        response = sign_in(client, provider)
    assert response["Location"] == reverse("sso_refused")
    assert provider.token_requests == 0
    assert not django_user_model.objects.exists()
    assert "_auth_user_id" not in client.session
    assert [r.getMessage()[:45] for r in caplog.records if r.name == "crisisdesk.sso.backends"] == [
        "OpenID Connect sign-in refused (unavailable):"
    ]
    assert UNAVAILABLE in client.get(response["Location"]).content


def test_state_mismatch_is_refused(client, provider, django_user_model):
    response = sign_in(client, provider, tamper_state=True)
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response["Location"] == reverse("sso_refused")
    assert provider.token_requests == 0
    assert not django_user_model.objects.exists()
    assert "_auth_user_id" not in client.session


def test_login_page_shows_provider_button(client, provider):
    page = client.get(reverse("login"))
    assert b"Sign in with Acme ID" in page.content
    assert reverse("oidc_authentication_init").encode() in page.content


def test_login_page_without_sso_has_no_button(client, settings):
    settings.OIDC_ENABLED = False
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b"Sign in with" not in page.content


@pytest.mark.parametrize(
    "mode,person_ok,superuser_ok", [("all", True, True), ("superusers", False, True), ("off", False, False)]
)
def test_local_login_switch(client, settings, django_user_model, mode, person_ok, superuser_ok):
    settings.CRISISDESK_LOCAL_LOGIN = mode
    django_user_model.objects.create_user(username="person", password="pw-Person-123")
    django_user_model.objects.create_superuser(username="root", email="r@example.org", password="pw-Root-123")
    for username, password, ok in (("person", "pw-Person-123", person_ok), ("root", "pw-Root-123", superuser_ok)):
        response = client.post(reverse("login"), {"username": username, "password": password})
        assert (response.status_code == 302) is ok, (mode, username, response.status_code)
        client.logout()


def test_local_login_off_hides_password_form(client, settings):
    settings.CRISISDESK_LOCAL_LOGIN = "off"
    page = client.get(reverse("login"))
    assert b'name="password"' not in page.content


def test_settings_from_discovery_document(monkeypatch):
    from crisisdesk.sso.conf import oidc_settings, role_values_from_env

    op = Provider().start()
    try:
        monkeypatch.setenv("OIDC_RP_CLIENT_ID", "crisisdesk")
        monkeypatch.setenv("OIDC_OP_DISCOVERY", op.url + "/.well-known/openid-configuration")
        monkeypatch.setenv("OIDC_OP_JWKS_ENDPOINT", "https://keys.example.org/jwks")
        monkeypatch.setenv("OIDC_ROLE_TEAM_LEAD", "crisis-leads")
        values = oidc_settings()
        assert values["OIDC_OP_TOKEN_ENDPOINT"] == op.url + "/token"
        assert values["OIDC_OP_AUTHORIZATION_ENDPOINT"] == op.url + "/authorize"
        assert values["OIDC_OP_JWKS_ENDPOINT"] == "https://keys.example.org/jwks"
        assert values["OIDC_OP_ISSUER"] == op.url
        assert role_values_from_env()["crisis-leads"] == TEAM_LEAD
        monkeypatch.delenv("OIDC_RP_CLIENT_ID")
        assert oidc_settings() == {}
    finally:
        op.stop()


def test_provider_failures_do_not_lock_the_address_out_of_sso(client, provider, settings, django_user_model):
    provider.answer("/token", 503, "down", content_type="text/plain")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        assert sign_in(client, provider)["Location"] == reverse("sso_refused")
    del provider.canned["/token"]
    response = sign_in(client, provider)
    assert response["Location"] == reverse("dashboard")
    assert int(client.session["_auth_user_id"]) == django_user_model.objects.get(username="alice").pk
