"""scripts/with-postgres.sh: a throwaway cluster that always goes away and passes the exit code through."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from crisisdesk.testing.system import require

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "with-postgres.sh"


def server_binaries_installed() -> bool:
    return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or shutil.which("initdb") is not None


@pytest.fixture(autouse=True)
def _server_binaries():
    require(server_binaries_installed(), "PostgreSQL server binaries (initdb, pg_ctl) are not installed")


PROBE = """
import os, sys, psycopg
url = os.environ["DATABASE_URL"]
with psycopg.connect(url) as conn:
    row = conn.execute(
        "SELECT current_user, current_database(), (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
    ).fetchone()
print(url.split("@", 1)[1], *row, sep="|")
sys.exit(int(sys.argv[1]))
"""


def run(*command: str, tmp_parent: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PG_TMP_PARENT": str(tmp_parent)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        ["bash", str(SCRIPT), *command], capture_output=True, text=True, timeout=120, env=env, check=False
    )


@pytest.fixture
def tmp_parent():
    """An empty directory the script puts its cluster in; under /tmp because when we are root the
    cluster runs as the postgres user, who cannot enter pytest's private (0700) tmp_path."""
    parent = Path(tempfile.mkdtemp(prefix="crisisdesk-pgtest-", dir="/tmp" if os.path.isdir("/tmp") else None))
    parent.chmod(0o755)
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


def test_runs_command_against_a_fresh_superuser_database_and_cleans_up(tmp_parent):
    result = run(sys.executable, "-c", PROBE, "0", tmp_parent=tmp_parent)

    assert result.returncode == 0, result.stderr
    host_and_db, user, database, superuser = result.stdout.strip().splitlines()[-1].split("|")
    assert host_and_db.startswith("127.0.0.1:")
    assert (user, database, superuser) == ("crisisdesk", "crisisdesk", "True")
    assert list(tmp_parent.iterdir()) == [], "the cluster directory was left behind"


def test_passes_the_exit_code_through_and_still_cleans_up(tmp_parent):
    result = run(sys.executable, "-c", PROBE, "7", tmp_parent=tmp_parent)

    assert result.returncode == 7, result.stderr
    assert list(tmp_parent.iterdir()) == []


def test_two_runs_at_once_get_separate_clusters(tmp_parent):
    env = {**os.environ, "PG_TMP_PARENT": str(tmp_parent)}
    env.pop("DATABASE_URL", None)
    # Each run holds its cluster for a second so that both are up at the same time.
    code = PROBE.replace("sys.exit", "import time; time.sleep(1); sys.exit")
    procs = [
        subprocess.Popen(
            ["bash", str(SCRIPT), sys.executable, "-c", code, "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]

    assert [proc.returncode for proc in procs] == [0, 0], [err for _, err in outputs]
    ports = {out.strip().splitlines()[-1].split("|")[0] for out, _ in outputs}
    assert len(ports) == 2
    assert list(tmp_parent.iterdir()) == []


def test_without_a_command_it_explains_usage(tmp_parent):
    result = run(tmp_parent=tmp_parent)

    assert result.returncode == 64
    assert "usage" in result.stderr
