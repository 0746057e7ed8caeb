"""Schemathesis over the whole API, against the live test server, as two personas: no 5xx, no schema lie.

A bounded pass (a few generated requests per operation, a fixed seed, so a failure is reproducible
with the command printed below) of schemathesis' CLI against ``live_server`` filled with the demo
data, once as a communicator and once as a team lead, checking:

- ``not_a_server_error``: no 5xx for any input;
- ``status_code_conformance``: every status code answered is documented;
- ``content_type_conformance``: every body is the documented media type (JSON, also for 404s);
- ``response_schema_conformance``: every body matches its documented schema (nullable, blank…).

It runs in both passes of ``make test``, as the communicator on SQLite and as the team lead on
PostgreSQL (a NUL byte fails differently on each; one persona per pass keeps the suite within its
time budget). Both personas on one database: ``SCHEMATHESIS_PERSONAS=all``; more examples:
``SCHEMATHESIS_EXAMPLES=25``.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from crisisdesk.roles import COMMUNICATOR, TEAM_LEAD
from incidents.demo.users import DEMO_USERS

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "2"))
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
SEED = "20261202"


def _st() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert found, "schemathesis is in requirements-dev.txt: `make test` installs it"
    return found


@pytest.fixture
def demo_desk(live_server):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 -- closed with the process
    return live_server


def _role_user(role: str):
    from django.contrib.auth import get_user_model

    username = next(user.username for user in DEMO_USERS if user.role == role)
    return get_user_model().objects.get(username=username)


def _personas() -> list[str]:
    if os.environ.get("SCHEMATHESIS_PERSONAS") == "all":
        return [COMMUNICATOR, TEAM_LEAD]
    on_postgresql = os.environ.get("DATABASE_URL", "").startswith("postgres")
    return [TEAM_LEAD] if on_postgresql else [COMMUNICATOR]


@pytest.fixture
def no_chat_network(monkeypatch):
    """Generated destinations may name real hosts (``json://example.com``): their test messages fail here, offline."""
    from django.utils import timezone

    from crisisdesk.chat import services as chat

    def offline(*, url, title, body):
        return chat.NotifyResult(started_at=timezone.now(), duration_ms=0, error="offline in tests")

    monkeypatch.setattr(chat, "notify", offline)


@pytest.mark.parametrize("role", _personas())
def test_the_api_keeps_its_schema_under_generated_input(demo_desk, no_chat_network, role, tmp_path):
    token = Token.objects.get_or_create(user=_role_user(role))[0].key
    command = [
        _st(),
        "run",
        f"{demo_desk.url}/api/v1/schema/",
        "--header",
        f"Authorization: Token {token}",
        "--max-examples",
        str(EXAMPLES),
        "--phases",
        "examples,fuzzing",
        "--checks",
        CHECKS,
        "--seed",
        SEED,
        "--no-color",
    ]
    # Run in a temporary folder: schemathesis keeps a cache (.schemathesis/) in its working directory.
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)  # noqa: S603
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"schemathesis as {role} (seed {SEED}) found failures:\n{report[-20000:]}"
    assert "129/129" in report or "Tested:" in report, report[-2000:]  # it really ran the operations
