"""Destination URLs at rest: encrypted (the column never holds the URL), masked when shown, keys rotate."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings

from crisisdesk.chat import secrets
from crisisdesk.chat.models import Destination

pytestmark = pytest.mark.django_db
URL = "mmost://chat.example.org/sup3rs3cr3ttoken"


def test_the_database_column_never_holds_the_url(make_destination):
    destination = make_destination(URL)
    with connection.cursor() as cursor:
        cursor.execute("SELECT url_secret, url_masked FROM chat_destination WHERE id = %s", [destination.pk])
        stored, masked = cursor.fetchone()
    assert "sup3rs3cr3ttoken" not in stored and "chat.example.org" not in stored
    assert masked == "mmost://chat.example.org/…"
    assert Destination.objects.get().apprise_url() == URL
    assert "sup3rs3cr3ttoken" not in repr(destination) + str(destination)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("mmost://chat.example.org:8065/token", "mmost://chat.example.org:8065/…"),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "slack://…"),
        ("mailto://user:password@smtp.example.org?to=duty@example.org", "mailto://smtp.example.org/…"),
        ("tgram://123456789:AbCdEfGh/1234", "tgram://…"),
        ("json://127.0.0.1:8080/hook", "json://127.0.0.1:8080/…"),
        ("env:CHAT_URL", "env:CHAT_URL"),
    ],
)
def test_mask_shows_scheme_and_host_only(url, masked):
    assert secrets.mask(url) == masked


def test_a_new_key_first_keeps_old_urls_readable(make_destination):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(CRISISDESK_SECRETS_KEY=old):
        destination = make_destination(URL)
    with override_settings(CRISISDESK_SECRETS_KEY=f"{new},{old}"):
        assert Destination.objects.get(pk=destination.pk).apprise_url() == URL
    with override_settings(CRISISDESK_SECRETS_KEY=new), pytest.raises(secrets.SecretUnavailable):
        Destination.objects.get(pk=destination.pk).apprise_url()


def test_the_derived_key_follows_secret_key(make_destination):
    with override_settings(CRISISDESK_SECRETS_KEY=""):
        destination = make_destination(URL)
        assert Destination.objects.get(pk=destination.pk).apprise_url() == URL
    with (
        override_settings(CRISISDESK_SECRETS_KEY="", SECRET_KEY="another-secret-key"),
        pytest.raises(secrets.SecretUnavailable),
    ):
        Destination.objects.get(pk=destination.pk).apprise_url()
