"""Single sign-on against a real OpenID Connect provider: django-oauth-toolkit in a second local server.

The provider (``crisisdesk.testing.oidc_provider``) runs in a subprocess with its own SQLite database,
its own RS256 key, its login form and consent page; CrisisDesk is pytest-django's live server,
configured from the provider's discovery document as an operator would (``OIDC_OP_DISCOVERY``).
The browser tests click through in Chromium; the HTTP tests drive the same flow with a ``requests``
session that posts the provider's forms. ``test_oidc.py`` covers the provider's failure modes with
a hand-written provider that can misbehave in ways a real one cannot be made to.
"""

import logging
from html.parser import HTMLParser
from importlib import import_module
from urllib.parse import urljoin

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from crisisdesk.audit.models import AuditRecord
from crisisdesk.roles import COMMUNICATOR, LEGAL, TEAM_LEAD
from crisisdesk.sso.conf import oidc_settings
from crisisdesk.testing.oidc_provider.server import OIDCProvider

# Meant to keep them in one pytest-xdist process (one provider to start, its migrate takes seconds). Under
# pytest 9 the group is not honoured (README, "make test"): each process that runs some starts its own.
pytestmark = pytest.mark.xdist_group(name="oidc_provider")

CLIENT_ID = "crisisdesk-tests"
CLIENT_SECRET = "a-client-secret-for-tests"
PASSWORD = "provider-Pass-123"
VERIFIED_FAILURE = "could not be verified"


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory, live_server):
    provider = OIDCProvider(tmp_path_factory.mktemp("oidc-provider")).start()
    try:
        provider.register_client(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uri=live_server.url + reverse("oidc_authentication_callback"),
        )
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def provider(oidc_provider, live_server, settings, monkeypatch):
    """The provider with nobody in it, and CrisisDesk configured from its discovery document."""
    oidc_provider.reset()
    monkeypatch.setenv("OIDC_RP_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("OIDC_RP_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("OIDC_OP_DISCOVERY", oidc_provider.discovery_url)
    for name in ("AUTHORIZATION", "TOKEN", "USER", "JWKS"):
        monkeypatch.delenv(f"OIDC_OP_{name}_ENDPOINT", raising=False)
    monkeypatch.delenv("OIDC_OP_ISSUER", raising=False)
    discovered = oidc_settings()
    assert discovered["OIDC_OP_ISSUER"] == oidc_provider.issuer
    for name, value in discovered.items():
        setattr(settings, name, value)
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = "Test ID"
    settings.OIDC_CREATE_USER = True
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "crisisdesk.sso.backends.OIDCBackend"]
    return oidc_provider


def add_alice(provider, groups):
    return provider.add_user("alice", PASSWORD, email="alice@example.org", groups=groups, first_name="Alice")


def roles_of(username):
    return set(get_user_model().objects.get(username=username).groups.values_list("name", flat=True))


# --- In Chromium -------------------------------------------------------------------------------------


def browser_sign_in(page, live_server, *, username="alice", password=PASSWORD):
    """Click "Sign in with Test ID", log in at the provider if it asks, consent if it asks."""
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Test ID").click()
    page.wait_for_url("http://127.0.0.1:*/**")
    if page.get_by_label("Username").count():
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(live_server.url + "/**")


@pytest.mark.browser
def test_browser_sign_in_lands_signed_in_with_the_mapped_roles(page, live_server, provider):
    add_alice(provider, [COMMUNICATOR, LEGAL, "Canteen committee"])
    browser_sign_in(page, live_server)
    assert page.url == live_server.url + reverse("dashboard")
    assert page.get_by_text("Signed in as").count() == 1
    assert roles_of("alice") == {COMMUNICATOR, LEGAL}
    user = get_user_model().objects.get(username="alice")
    assert (user.email, user.first_name, user.has_usable_password()) == ("alice@example.org", "Alice", False)


@pytest.mark.browser
def test_browser_removed_from_the_provider_group_loses_the_role_at_next_sign_in(page, live_server, provider):
    add_alice(provider, [COMMUNICATOR, TEAM_LEAD])
    browser_sign_in(page, live_server)
    assert roles_of("alice") == {COMMUNICATOR, TEAM_LEAD}
    page.context.clear_cookies(domain="localhost")  # signed out of CrisisDesk, still signed in at the provider
    add_alice(provider, [COMMUNICATOR])
    browser_sign_in(page, live_server)
    assert page.url == live_server.url + reverse("dashboard")
    assert roles_of("alice") == {COMMUNICATOR}
    last = AuditRecord.objects.filter(action="sso.roles_synced").order_by("-pk").first()
    assert (last.from_state, last.to_state) == ("Communicator, Team lead", "Communicator")


@pytest.mark.browser
def test_browser_unknown_person_with_jit_off_gets_the_not_registered_page(page, live_server, provider, settings):
    settings.OIDC_CREATE_USER = False
    add_alice(provider, [COMMUNICATOR])
    browser_sign_in(page, live_server)
    assert page.url == live_server.url + reverse("sso_refused")
    assert page.get_by_text("is not registered in CrisisDesk").count() == 1
    assert not get_user_model().objects.exists()
    page.goto("/")
    assert page.url.startswith(live_server.url + reverse("login"))


# --- Over HTTP -------------------------------------------------------------------------------------


class Forms(HTMLParser):
    """The page's forms: action and fields (hidden and submit inputs with their values)."""

    def __init__(self, html):
        super().__init__()
        self.forms = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}})
        elif tag == "input" and self.forms and attrs.get("name") and attrs.get("type") in ("hidden", "submit"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


def post_form(session, page, **values):
    (form,) = Forms(page.text).forms
    return session.post(urljoin(page.url, form["action"]), data={**form["fields"], **values}, timeout=10)


def http_sign_in(live_server, *, username="alice", password=PASSWORD):
    """Start at CrisisDesk, post the provider's login form and its consent form; the final answer."""
    session = requests.Session()
    page = session.get(live_server.url + reverse("oidc_authentication_init"), timeout=10)
    assert page.url.startswith("http://127.0.0.1:") and 'name="password"' in page.text
    page = post_form(session, page, username=username, password=password)
    assert "Authorize" in page.text, page.text[:2000]
    return session, post_form(session, page, allow="Authorize")


def signed_in_user_id(session):
    """The user id in CrisisDesk's session behind the session's cookie (the provider's cookie has another name)."""
    key = session.cookies.get(django_settings.SESSION_COOKIE_NAME)
    if key is None:
        return None
    store = import_module(django_settings.SESSION_ENGINE).SessionStore(session_key=key)
    return store.load().get("_auth_user_id")


def test_http_sign_in_creates_the_user_with_the_mapped_roles(live_server, provider):
    add_alice(provider, [LEGAL])
    session, answer = http_sign_in(live_server)
    assert answer.status_code == 200
    assert answer.url == live_server.url + reverse("dashboard")
    assert int(signed_in_user_id(session)) == get_user_model().objects.get(username="alice").pk
    assert roles_of("alice") == {LEGAL}


def test_http_provider_group_names_map_to_roles(live_server, provider, settings):
    """The organisation's own group names (``OIDC_ROLE_<ROLE>``) grant the roles; other groups grant nothing."""
    settings.OIDC_ROLE_VALUES = {"crisis-leads": TEAM_LEAD, "comms-staff": COMMUNICATOR}
    add_alice(provider, ["crisis-leads", LEGAL])
    session, answer = http_sign_in(live_server)
    assert answer.url == live_server.url + reverse("dashboard")
    assert roles_of("alice") == {TEAM_LEAD}


def test_http_wrong_password_at_the_provider_never_reaches_crisisdesk(live_server, provider):
    add_alice(provider, [LEGAL])
    session = requests.Session()
    page = session.get(live_server.url + reverse("oidc_authentication_init"), timeout=10)
    page = post_form(session, page, username="alice", password="not-the-password")
    assert page.url.startswith("http://127.0.0.1:") and 'name="password"' in page.text
    assert not get_user_model().objects.exists()


# How to make the real provider's ID token fail a check.
# How to make the real provider's ID token fail a check, and the check that fails (PyJWT's words).
MISBEHAVIOURS = {
    # The JWKS publishes another key under the signing key's id: the signature matches no published key.
    "wrong-signature": ({"jwks": "other-key"}, "Signature verification failed"),
    # The ID token is issued to another client.
    "wrong-audience": ({"audience": "someone-else"}, "Audience doesn't match"),
    # The issuer's clock is two hours behind: the five-minute token expired long ago.
    "expired": ({"clock_offset": -7200}, "Signature has expired"),
}


@pytest.mark.parametrize("misbehaviour", list(MISBEHAVIOURS))
def test_http_token_failing_a_check_gives_a_clear_refusal_no_user_no_session(
    live_server, provider, misbehaviour, caplog
):
    knobs, failed_check = MISBEHAVIOURS[misbehaviour]
    add_alice(provider, [COMMUNICATOR])
    provider.misbehave(**knobs)
    with caplog.at_level(logging.WARNING, logger="crisisdesk.sso.backends"):
        session, answer = http_sign_in(live_server)
    assert answer.status_code == 403
    assert answer.url == live_server.url + reverse("sso_refused")
    assert VERIFIED_FAILURE in answer.text
    assert "Back to sign-in" in answer.text
    assert not get_user_model().objects.exists()
    assert signed_in_user_id(session) is None
    refusals = [r.getMessage() for r in caplog.records if r.name == "crisisdesk.sso.backends"]
    assert len(refusals) == 1
    assert refusals[0] == f"OpenID Connect sign-in refused (invalid): ID token refused: {failed_check}", refusals
    # The same person signs in once the provider behaves again: the refusal was the token's fault.
    provider.misbehave()
    session, answer = http_sign_in(live_server)
    assert answer.url == live_server.url + reverse("dashboard")
    assert roles_of("alice") == {COMMUNICATOR}
