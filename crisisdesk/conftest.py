"""Fixtures shared by the kernel's tests (the project-wide ones are in the top-level conftest.py)."""

import pytest
import time_machine
from django.utils import timezone


@pytest.fixture
def enforced(settings):
    """Second-factor enforcement on (the suite runs with it off: crisisdesk/testing/env.py), step-up window 15 min."""
    settings.CRISISDESK_2FA_ENFORCE = True
    settings.CRISISDESK_STEP_UP_MINUTES = 15


@pytest.fixture
def clock():
    """Time stands still from now until the test moves it (``clock.shift(seconds)``): TOTP steps, step-up windows."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller
