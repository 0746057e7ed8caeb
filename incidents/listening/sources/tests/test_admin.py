"""Sources in the admin: added through source_save, credential write-only, never deleted."""

import pytest

from incidents.listening.sources.models import Source

pytestmark = pytest.mark.django_db


def test_admin_adds_source_with_encrypted_credential(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/incidents/source/add/",
        {
            "name": "Mastodon",
            "kind": "mastodon",
            "config": '{"instance_url": "https://mastodon.example", "hashtags": ["acme"]}',
            "enabled": "on",
            "poll_interval_seconds": 300,
            "max_requests_per_minute": 30,
            "credential_name": "access_token",
            "credential_value": "adm1n-t0ken",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    source = Source.objects.get()
    assert source.credential("access_token") == "adm1n-t0ken"
    page = client.get(f"/admin/incidents/source/{source.pk}/change/").content.decode()
    assert "adm1n-t0ken" not in page and "access_token" in page
    assert client.get(f"/admin/incidents/source/{source.pk}/delete/").status_code == 403


def test_admin_refuses_a_credential_value_without_a_name_and_saves_nothing(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/incidents/source/add/",
        {
            "name": "Mastodon",
            "kind": "mastodon",
            "config": '{"instance_url": "https://mastodon.example", "hashtags": ["acme"]}',
            "enabled": "on",
            "poll_interval_seconds": 300,
            "max_requests_per_minute": 30,
            "credential_name": "",
            "credential_value": "adm1n-t0ken",
        },
    )
    assert response.status_code == 200
    assert "Name the credential." in response.content.decode()
    assert "adm1n-t0ken" not in response.content.decode()
    assert not Source.objects.exists()


def test_browser_form_asks_for_the_credential_last():
    from incidents.listening.sources.forms import SourceForm

    assert list(SourceForm().fields)[-2:] == ["credential_name", "credential_value"]
    assert list(SourceForm().fields)[0] == "name"
