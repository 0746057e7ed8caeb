"""Start the test OpenID Connect provider (django-oauth-toolkit) in a subprocess and drive it.

``OIDCProvider(tmp_dir).start()`` migrates its own SQLite database in ``tmp_dir``, serves it with
``manage.py runserver --noreload`` on a free loopback port and waits for its discovery document;
``stop()`` ends it. The tests register CrisisDesk as a client (``register_client``), create people
with groups (``add_user``) and make the provider get something wrong (``misbehave``) through
token-protected control endpoints; the OpenID Connect side is django-oauth-toolkit's own.
"""

import contextlib
import ctypes
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from crisisdesk.testing.worker import free_port

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parents[2]
MANAGE = PACKAGE_DIR / "manage.py"
START_TIMEOUT = 60
PR_SET_PDEATHSIG = 1


def _end_with_the_tests() -> None:
    """In the provider's process (Linux): SIGTERM when the test process dies, so a crashed run leaves no server."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class OIDCProvider:
    def __init__(self, state_dir: Path):
        self.state_dir = Path(state_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.issuer = self.url + "/o"
        self.discovery_url = self.issuer + "/.well-known/openid-configuration"
        self.control_token = secrets.token_urlsafe(16)
        self.log = self.state_dir / "provider.log"
        self.process = None

    def _env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OIDC_"))}
        env.update(
            {
                "PYTHONPATH": str(PROJECT_ROOT),
                "OIDC_PROVIDER_STATE_DIR": str(self.state_dir),
                "OIDC_PROVIDER_PORT": str(self.port),
                "OIDC_PROVIDER_CONTROL_TOKEN": self.control_token,
            }
        )
        return env

    def _manage(self, *args):
        return [sys.executable, str(MANAGE), *args]

    def start(self) -> "OIDCProvider":
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = self._env()
        migrated = subprocess.run(  # noqa: S603 - fixed arguments
            self._manage("migrate", "--noinput", "-v", "0"), env=env, cwd=PROJECT_ROOT, capture_output=True, text=True
        )
        if migrated.returncode != 0:
            raise RuntimeError(f"the test OIDC provider's migrate failed:\n{migrated.stdout}\n{migrated.stderr}")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
                self._manage("runserver", f"127.0.0.1:{self.port}", "--noreload", "--skip-checks"),
                env=env,
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_end_with_the_tests if sys.platform == "linux" else None,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the test OIDC provider exited:\n{self.output()}")
            try:
                if requests.get(self.discovery_url, timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the test OIDC provider did not start in {START_TIMEOUT}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def _control(self, name: str, data: dict | None = None) -> dict:
        response = requests.post(
            f"{self.url}/control/{name}/", json=data or {}, headers={"X-Control-Token": self.control_token}, timeout=10
        )
        if response.status_code != 200:
            raise RuntimeError(f"control/{name}: {response.status_code}\n{response.text[:2000]}\n{self.output()}")
        return response.json()

    def reset(self) -> None:
        """No people, no groups, nothing misbehaving (registered clients stay)."""
        self._control("reset")

    def register_client(self, *, client_id: str, client_secret: str, redirect_uri: str, skip_authorization=False):
        return self._control(
            "application",
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uris": [redirect_uri],
                "skip_authorization": skip_authorization,
            },
        )

    def add_user(self, username: str, password: str, *, email: str, groups=(), first_name="", last_name="") -> str:
        """Create or update a person at the provider (their groups become exactly ``groups``); returns the ``sub``."""
        answer = self._control(
            "user",
            {
                "username": username,
                "password": password,
                "email": email,
                "groups": list(groups),
                "first_name": first_name,
                "last_name": last_name,
            },
        )
        return answer["sub"]

    def misbehave(self, **knobs) -> None:
        """``jwks="other-key"``, ``audience="..."``, ``clock_offset=-7200``; ``misbehave()`` behaves again."""
        self._control("misbehave", knobs)
