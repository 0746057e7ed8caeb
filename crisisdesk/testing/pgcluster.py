"""``pg_cluster()``: a fresh, throwaway PostgreSQL cluster for one test, stopped and deleted afterwards.

The Python sibling of ``scripts/with-postgres.sh``, for a test that needs a *second* server besides
the suite's database (the backup test restores a dump into one):

- the binaries are found as the script finds them: ``PG_BIN``, else the newest
  ``/usr/lib/postgresql/*/bin``, else ``initdb`` on the ``PATH``;
- the cluster lives in a fresh temp dir and listens on a unix socket in that dir only (no TCP), so
  trust authentication reaches nobody but this machine's users who can enter the dir, and two
  clusters never meet whatever port they name;
- PostgreSQL refuses to run as root: when we are root, ``initdb`` and the server run as the
  ``postgres`` system user (or ``nobody``), and the dir is handed to that user;
- durability is off (fsync, synchronous_commit, full_page_writes): the data is thrown away anyway.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

# The socket names the port (``.s.PGSQL.<port>``); the dir is ours alone, so the default port is free.
PORT = 5432


class ClusterError(RuntimeError):
    """initdb or pg_ctl failed; the message holds their output."""


def find_pg_bin() -> Path:
    """The directory holding initdb, pg_ctl and the client tools of the same version."""
    configured = os.environ.get("PG_BIN")
    if configured:
        return Path(configured)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(Path(path).parent.name))
    for candidate in reversed(candidates):
        if os.access(Path(candidate) / "initdb", os.X_OK):
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterError("PostgreSQL server binaries (initdb, pg_ctl) not found; run scripts/ensure-system-deps.sh")


def server_binaries_installed() -> bool:
    try:
        find_pg_bin()
    except ClusterError:
        return False
    return True


@dataclass(frozen=True)
class Cluster:
    """How to reach a running cluster: over its unix socket, as any of its roles, without a password (trust)."""

    bin_dir: Path
    socket_dir: Path
    port: int
    user: str

    def tool(self, name: str) -> str:
        """A client program (pg_dump, pg_restore, psql, createdb) of the server's version."""
        return str(self.bin_dir / name)

    def conninfo(self, dbname: str = "postgres", *, user: str | None = None) -> str:
        """For ``psycopg.connect`` and libpq clients' ``--dbname``; as the superuser unless ``user`` is given."""
        return f"host={self.socket_dir} port={self.port} user={user or self.user} dbname={dbname}"

    def url(self, dbname: str, *, user: str | None = None) -> str:
        """A ``DATABASE_URL`` (the socket dir percent-encoded as the host, as dj-database-url reads it)."""
        return f"postgres://{user or self.user}@{quote(str(self.socket_dir), safe='')}:{self.port}/{dbname}"


def _cluster_owner() -> str | None:
    """The unprivileged user the server runs as when we are root; ``None`` when we are not root."""
    if os.geteuid() != 0:
        return None
    for candidate in ("postgres", "nobody"):
        try:
            pwd.getpwnam(candidate)
        except KeyError:
            continue
        return candidate
    raise ClusterError("running as root and neither a 'postgres' nor a 'nobody' user exists")


def _run(command: list[str], *, owner: str | None, what: str) -> None:
    if owner is not None:
        command = ["runuser", "-u", owner, "--", *command]
    # cwd=/: the cluster owner may not be able to read our working directory.
    # The command is built here from the binaries' directory and our own paths, never from input.
    result = subprocess.run(command, cwd="/", capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    if result.returncode != 0:
        raise ClusterError(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


@contextmanager
def pg_cluster(*, user: str = "postgres", tmp_parent: str | None = None) -> Iterator[Cluster]:
    """Start a fresh cluster whose superuser is ``user``, yield how to reach it, then stop and delete it.

    ``tmp_parent`` (default: the system temp dir) must be enterable by the cluster owner when we are root.
    """
    bin_dir = find_pg_bin()
    owner = _cluster_owner()
    workdir = Path(tempfile.mkdtemp(prefix="crisisdesk-pgcluster-", dir=tmp_parent or tempfile.gettempdir()))
    datadir = workdir / "data"
    logfile = workdir / "server.log"
    started = False
    try:
        workdir.chmod(0o700)
        if owner is not None:
            shutil.chown(workdir, user=owner)
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                user,
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--auth=trust",
                "--no-sync",
            ],
            owner=owner,
            what="initdb",
        )
        # postgresql.auto.conf is the cluster owner's file: append to it as that user would.
        settings = {
            "port": str(PORT),
            "listen_addresses": "''",
            "unix_socket_directories": f"'{workdir}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "log_min_messages": "warning",
        }
        with open(datadir / "postgresql.auto.conf", "a", encoding="utf-8") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        try:
            _run(
                [str(bin_dir / "pg_ctl"), "start", "-D", str(datadir), "-l", str(logfile), "-w", "-t", "60"],
                owner=owner,
                what="pg_ctl start",
            )
        except ClusterError as error:
            log = logfile.read_text(encoding="utf-8", errors="replace") if logfile.exists() else ""
            raise ClusterError(f"{error}\nserver log:\n{log}") from None
        started = True
        yield Cluster(bin_dir=bin_dir, socket_dir=workdir, port=PORT, user=user)
    finally:
        try:
            if started:
                # immediate: nothing to flush, the cluster is deleted next.
                _run(
                    [str(bin_dir / "pg_ctl"), "stop", "-D", str(datadir), "-m", "immediate", "-w", "-t", "30"],
                    owner=owner,
                    what="pg_ctl stop",
                )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
