import pytest

from crisisdesk.testing.fakeserver import FakeServer


@pytest.fixture
def fake_server():
    with FakeServer() as server:
        yield server
