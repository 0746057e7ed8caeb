"""First run without Redis: no kombu warning; a favicon on every page; the API docs load nothing from a CDN."""

import logging

import pytest
from celery import Celery
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from crisisdesk.api.views import REDOC_CDN_LOGO, redoc_bundle_bytes


def test_without_a_broker_the_fallback_url_names_its_host():
    # settings.py is read with REDIS_URL unset in the tests, as in the demo.
    assert settings.CELERY_TASK_ALWAYS_EAGER
    assert settings.CELERY_BROKER_URL.startswith("memory://localhost")


def test_an_eager_task_opens_no_connection_that_kombu_warns_about(caplog):
    # A fresh app (so a fresh producer pool) configured like crisisdesk.celery: the first .delay()
    # of the demo acquires a producer, which opens the in-memory broker connection.
    app = Celery("first-run")
    app.config_from_object("django.conf:settings", namespace="CELERY")

    @app.task
    def ping():
        return "pong"

    with caplog.at_level(logging.WARNING):
        assert ping.delay().get(disable_sync_subtasks=False) == "pong"
    assert [r.getMessage() for r in caplog.records if r.name.startswith("kombu")] == []


def test_the_old_url_did_warn(caplog):
    # The check above is not vacuous: without a host, kombu warns on the same path.
    with override_settings(CELERY_BROKER_URL="memory://"):
        app = Celery("first-run-old")
        app.config_from_object("django.conf:settings", namespace="CELERY")

        @app.task
        def ping():
            return "pong"

        with caplog.at_level(logging.WARNING):
            ping.delay()
    assert any("No hostname was supplied" in r.getMessage() for r in caplog.records)


def test_favicon_ico_answers_with_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert "max-age" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/newsroom/", "/admin/login/", "/api/v1/docs/", "/api/v1/redoc/"],
)
def test_every_kind_of_page_links_an_icon(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<link rel="icon" href="/favicon.ico"' in html or 'rel="icon" href="/static/img/favicon.svg"' in html


@pytest.mark.django_db
def test_redoc_runs_a_bundle_without_the_cdn_logo(client):
    page = client.get(reverse("api:redoc")).content.decode()
    assert f'src="{reverse("api:redoc_bundle")}"' in page
    bundle = client.get(reverse("api:redoc_bundle"))
    assert bundle.status_code == 200 and bundle["Content-Type"].startswith("text/javascript")
    assert b"cdn.redoc.ly" not in redoc_bundle_bytes()
    assert REDOC_CDN_LOGO.encode() not in b"".join(bundle.streaming_content if bundle.streaming else [bundle.content])
    assert b"API docs by Redocly" in redoc_bundle_bytes()
