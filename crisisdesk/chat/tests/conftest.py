"""Fixtures of the chat tests: a live loopback receiver (the webhooks tests' ``Receiver``) and destinations."""

import pytest

from crisisdesk.chat import services
from crisisdesk.webhooks import events
from crisisdesk.webhooks.tests import conftest as webhook_fixtures

# The live loopback receiver (``http.server`` on 127.0.0.1) of the webhook tests.
receiver = webhook_fixtures.receiver


@pytest.fixture
def json_url(receiver):
    """Apprise's generic JSON target, pointed at the loopback receiver."""
    return f"json://127.0.0.1:{receiver.port}/hook"


@pytest.fixture
def make_destination(admin_user):
    """``make_destination(url, event_types=…, include_confidential=…, min_severity=…)`` through the service."""

    def make(url: str, *, event_types=None, name: str = "Chat room", **kwargs):
        return services.destination_create(
            actor=admin_user, name=name, url=url, event_types=list(event_types or events.EVENT_TYPES), **kwargs
        )

    return make


@pytest.fixture
def destination(make_destination, json_url):
    return make_destination(json_url)
