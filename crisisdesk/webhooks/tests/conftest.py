"""Fixtures of the webhook tests: a live local receiver and subscriptions pointing at it."""

import pytest

from crisisdesk.webhooks import events, services

from .receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def make_subscription(admin_user):
    """``make_subscription(url, event_types=…, include_confidential=…)`` through the service (as an admin)."""

    def make(url: str, *, event_types=None, include_confidential: bool = False, name: str = "Receiver", **kwargs):
        return services.subscription_create(
            actor=admin_user,
            name=name,
            url=url,
            event_types=list(event_types or events.EVENT_TYPES),
            include_confidential=include_confidential,
            **kwargs,
        )

    return make


@pytest.fixture
def subscription(make_subscription, receiver):
    return make_subscription(receiver.url)
