"""The evidence tests' crisis: opened, acknowledged, one statement submitted, approved by Legal and published."""

from datetime import UTC, datetime

import pytest

from postmortems.tests.helpers import play_crisis

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def crisis(team_lead, communicator, legal):
    return play_crisis(
        lead=team_lead, communicator=communicator, legal=legal, detected=T0, ack=5, submit=10, approve=20, publish=30
    )
