"""Sentry: off without SENTRY_DSN; with a DSN, a crash in a view reaches the (local, fake) Sentry server."""

import gzip
import time

import pytest
import sentry_sdk
from django.conf import settings as django_settings
from django.test import Client

from crisisdesk.observability.sentry import init_sentry, sentry_options
from crisisdesk.webhooks.tests.receiver import Receiver


def test_no_dsn_no_sentry():
    assert sentry_options({}) is None
    assert sentry_options({"SENTRY_DSN": "  ", "SENTRY_TRACES_SAMPLE_RATE": "1"}) is None
    # The test settings have no DSN: nothing was initialised.
    assert django_settings.SENTRY_OPTIONS is None
    assert not sentry_sdk.get_client().is_active()


def test_options_from_the_environment():
    options = sentry_options({"SENTRY_DSN": "https://key@sentry.example/4", "SENTRY_ENVIRONMENT": "staging"})
    assert options == {
        "dsn": "https://key@sentry.example/4",
        "traces_sample_rate": 0.0,
        "environment": "staging",
    }
    traced = sentry_options({"SENTRY_DSN": "https://key@sentry.example/4", "SENTRY_TRACES_SAMPLE_RATE": "0.25"})
    assert traced["traces_sample_rate"] == 0.25
    for bad in ("lots", "2", "-0.1"):
        with pytest.raises(ValueError, match="SENTRY_TRACES_SAMPLE_RATE"):
            sentry_options({"SENTRY_DSN": "https://key@sentry.example/4", "SENTRY_TRACES_SAMPLE_RATE": bad})


@pytest.fixture
def fake_sentry():
    server = Receiver().start()
    yield server
    server.stop()


def envelopes(server) -> list[bytes]:
    bodies = []
    for request in server.accepted():
        body = request.body
        encoding = request.headers.get("content-encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            # sentry-sdk compresses with Brotli whenever the brotli package is importable (WeasyPrint's
            # fonttools brings it), so that is the only case this branch is reached.
            import brotli

            body = brotli.decompress(body)
        bodies.append(body)
    return bodies


@pytest.mark.urls("crisisdesk.observability.tests.urls")
def test_a_crash_in_a_view_reaches_sentry_without_personal_data(fake_sentry, db):
    options = sentry_options({"SENTRY_DSN": f"http://publickey@127.0.0.1:{fake_sentry.port}/1"})
    init_sentry(options)
    try:
        assert sentry_sdk.get_client().is_active()
        assert sentry_sdk.get_client().should_send_default_pii() is False
        client = Client(raise_request_exception=False)
        client.cookies["sessionid"] = "secret-session-cookie"
        response = client.get("/boom", headers={"authorization": "Bearer secret-header"})
        assert response.status_code == 500
        sentry_sdk.flush(timeout=5)
        deadline = time.monotonic() + 5
        while not fake_sentry.accepted() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)

    assert [request.path for request in fake_sentry.accepted()] == ["/api/1/envelope/"]
    (body,) = envelopes(fake_sentry)
    assert b"ZeroDivisionError" in body
    assert b"observability test crash" in body
    assert b"secret-session-cookie" not in body
    assert b"secret-header" not in body
    assert not sentry_sdk.get_client().is_active()
