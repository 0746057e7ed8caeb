"""Tests that need a system program (redis-server, msgfmt, initdb) installed by scripts/ensure-system-deps.sh.

Outside `make test` a missing program skips the test with a reason; under `make test`
(CRISISDESK_REQUIRE_SYSTEM_DEPS=1) it fails, so a broken install step cannot hide as a skip.
"""

import os

import pytest


def require(available: bool, reason: str) -> None:
    if available:
        return
    if os.environ.get("CRISISDESK_REQUIRE_SYSTEM_DEPS") == "1":
        pytest.fail(f"{reason} — make test installs it; the install step is broken")
    pytest.skip(reason)
