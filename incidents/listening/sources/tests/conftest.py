import pytest

from incidents.listening.sources.tests.fakes import FakeServer


@pytest.fixture
def fake_server():
    with FakeServer() as server:
        yield server
