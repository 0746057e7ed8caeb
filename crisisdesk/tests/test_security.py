"""Security headers, the Content-Security-Policy, sign-in lockouts (django-axes) and session ages."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from csp.middleware import CSPMiddleware as ContentSecurityPolicyMiddleware
from django.conf import settings
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)


def directives(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {name: value for name, _, value in (part.strip().partition(" ") for part in header.split(";"))}


def assert_strict(response):
    policy = directives(response)
    for name, value in STRICT.items():
        assert policy[name] == value, (name, policy[name])


def assert_no_inline_code(html: str):
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html).group(0)
    assert not STYLE_ATTRIBUTE.search(html), STYLE_ATTRIBUTE.search(html).group(0)


@pytest.fixture
def pages(incident, team_lead):
    return {
        "dashboard": reverse("dashboard"),
        "incident list": reverse("incidents:list"),
        "war room": incident.get_absolute_url(),
        "new incident": reverse("incidents:create"),
        "response targets": reverse("response_targets"),
        "newsroom": reverse("newsroom:list"),
        "password change": reverse("password_change"),
    }


def test_every_page_type_has_the_strict_policy_and_no_inline_code(client_for, team_lead, pages):
    client = client_for(team_lead)
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert_strict(response)
        assert_no_inline_code(response.content.decode())
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in response.headers["Permissions-Policy"]


def test_signed_out_pages_and_errors_have_the_policy(client, incident):
    for url, status in [
        (reverse("login"), 200),
        (reverse("newsroom:list"), 200),
        (reverse("dashboard"), 302),
        ("/no/such/page/", 404),
        (reverse("healthz"), 200),
        (reverse("api:incident-list"), 401),
    ]:
        response = client.get(url)
        assert response.status_code == status, url
        assert_strict(response)
    assert_no_inline_code(client.get(reverse("login")).content.decode())


def test_admin_pages_have_the_policy(client_for, admin_user, incident):
    client = client_for(admin_user)
    for url in [
        reverse("admin:index"),
        reverse("admin:incidents_incident_changelist"),
        reverse("admin:incidents_incident_change", args=[incident.pk]),
        reverse("admin:incidents_responsetarget_changelist"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response)
        assert not INLINE_SCRIPT.search(response.content.decode()), url


def test_api_docs_run_no_inline_script(client_for, communicator):
    client = client_for(communicator)
    swagger = client.get(reverse("api:docs"))
    assert swagger.status_code == 200
    html = swagger.content.decode()
    assert not INLINE_SCRIPT.search(html)
    # The start-up script is served as a file from the same origin.
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()

    redoc = client.get(reverse("api:redoc"))
    assert redoc.status_code == 200
    html = redoc.content.decode()
    assert not INLINE_SCRIPT.search(html) and "<redoc spec-url=" in html
    assert "fonts.googleapis.com" not in html and "cdn." not in html

    for response in (swagger, redoc):
        policy = directives(response)
        # The UIs inject their own <style> at run time: only these pages allow inline styles...
        assert policy["style-src"] == "'self' 'unsafe-inline'"
        # ...and scripts stay strictly same-origin.
        assert policy["script-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"


def test_report_only_mode_sends_the_same_policy_as_report_only(client_for, communicator, settings):
    # DJANGO_CSP_REPORT_ONLY=1 (crisisdesk/settings.py): the policy moves to the report-only header,
    # the docs pages' widening included.
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    client = client_for(communicator)
    for name, style_src in [("dashboard", "'self'"), ("api:redoc", "'self' 'unsafe-inline'")]:
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "Content-Security-Policy" not in response.headers
        header = response.headers["Content-Security-Policy-Report-Only"]
        policy = {key: value for key, _, value in (part.strip().partition(" ") for part in header.split(";"))}
        assert policy["style-src"] == style_src
        assert policy["script-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"


def test_templates_hold_no_inline_script_handler_or_style():
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        assert_no_inline_code(path.read_text())


def test_a_template_that_reads_the_nonce_gets_it_in_the_policy(rf: RequestFactory):
    def view(request):
        html = Template('<script nonce="{{ csp_nonce }}">1</script>').render(Context({"csp_nonce": request.csp_nonce}))
        return HttpResponse(html)

    request = rf.get("/")
    response = ContentSecurityPolicyMiddleware(view)(request)
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in directives(response)["script-src"]

    untouched = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("ok"))(rf.get("/"))
    assert directives(untouched)["script-src"] == "'self'"


# --- sign-in lockout (django-axes) -------------------------------------------------------


def sign_in(client, username, password, ip="203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_lockout_after_the_failure_limit_then_cool_off(client, communicator, password):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    start = timezone_now()
    with time_machine.travel(start, tick=False):
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            assert sign_in(client, "comms", "wrong").status_code == 200  # the form again, with its error
        locked = sign_in(client, "comms", "wrong")
        assert locked.status_code == 429
        assert_strict(locked)
        text = locked.content.decode()
        assert "Too many failed sign-ins" in text and "Try again in 15 minutes." in text
        assert locked["Retry-After"] == str(15 * 60)
        # Locked: even the right password is refused now.
        assert sign_in(client, "comms", password).status_code == 429
        # Only this username from this address: the same account from elsewhere, and another
        # account from here, still sign in.
        assert sign_in(client, "comms", password, ip="198.51.100.2").status_code == 302
        client.logout()
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert sign_in(client, "comms", password).status_code == 429
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        # The refused attempt at +14 min restarted the cool-off; 15 min after it, the pair is free.
        assert sign_in(client, "comms", password).status_code == 302


def test_other_accounts_from_the_same_address_are_not_locked(client, communicator, legal, password):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "comms", "wrong")
    assert sign_in(client, "comms", password).status_code == 429
    assert sign_in(client, "legal", password).status_code == 302


def test_api_token_endpoint_is_protected_too(client, communicator, password):
    url = reverse("api:token")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, {"username": "comms", "password": "wrong"}).status_code == 400
    assert client.post(url, {"username": "comms", "password": "wrong"}).status_code == 429
    # Locked: the right password gets no token, and the script is told why and for how long.
    locked = client.post(url, {"username": "comms", "password": password})
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out" and "15 minutes" in locked.json()["detail"]
    assert locked["Retry-After"] == str(15 * 60)
    assert "token" not in locked.json()


def test_success_resets_the_failure_count(client, communicator, password):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "comms", "wrong")
    assert sign_in(client, "comms", password).status_code == 302
    client.logout()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "comms", "wrong").status_code == 200


# --- sessions -------------------------------------------------------------------------------


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def test_session_ends_at_its_absolute_age_however_active(client, communicator, password):
    assert settings.SESSION_ABSOLUTE_AGE == 12 * 60 * 60
    start = timezone_now()
    with time_machine.travel(start, tick=False):
        assert sign_in(client, "comms", password).status_code == 302
    # Active every hour: the session is saved (renewed) but the absolute age still applies.
    for hour in range(1, 12):
        with time_machine.travel(start + timedelta(hours=hour), tick=False):
            assert client.get(reverse("dashboard")).status_code == 200
    with time_machine.travel(start + timedelta(hours=12, seconds=1), tick=False):
        response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_session_settings_are_configurable(monkeypatch):
    import importlib

    import crisisdesk.settings as settings_module

    monkeypatch.setenv("DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE", "1")
    monkeypatch.setenv("DJANGO_SESSION_ABSOLUTE_AGE", "3600")
    monkeypatch.setenv("AXES_FAILURE_LIMIT", "3")
    monkeypatch.setenv("AXES_COOLOFF_MINUTES", "60")
    reloaded = importlib.reload(settings_module)
    try:
        assert reloaded.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
        assert reloaded.SESSION_ABSOLUTE_AGE == 3600
        assert reloaded.AXES_FAILURE_LIMIT == 3
        assert timedelta(hours=1) == reloaded.AXES_COOLOFF_TIME
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_api_docs_work_in_chromium_under_the_policy(page, login_as, communicator, password):
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    login_as(page, communicator, password)

    page.goto("/api/v1/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "CrisisDesk API" in page.locator(".swagger-ui .info .title").inner_text()
    page.goto("/api/v1/redoc/")
    # Redoc renders the whole schema in the browser before its first heading: give a loaded CI machine time.
    page.locator("redoc h1, #redoc-container h1, h1").first.wait_for(timeout=30_000)
    assert "CrisisDesk API" in page.locator("h1").first.inner_text()
    # Only Redoc's "powered by" logo, which it fetches from its vendor's CDN, is refused: offline by design.
    assert [v for v in violations if "cdn.redoc.ly" not in v] == []

    before = len(violations)
    page.goto("/")
    page.locator("h1").first.wait_for()
    page.goto("/response-targets/")
    page.locator("h1").first.wait_for()
    assert violations[before:] == []
