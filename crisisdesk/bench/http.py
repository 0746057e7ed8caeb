"""How the bench talks to the deployment: gunicorn over real HTTP, SQL counted in PostgreSQL's log.

``HTTPTransport`` starts gunicorn with the project's ``gunicorn.conf.py`` (``--web`` sync workers,
settings ``crisisdesk.bench.settings``: the deployment's settings plus the bare view), on the bench's
PostgreSQL. Each GET opens a new TCP connection, as a browser behind no keep-alive proxy would.

SQL is counted from the server side: the bench turns on ``log_statement = 'all'`` (``ALTER SYSTEM`` and
a configuration reload, in the throwaway cluster of ``scripts/with-postgres.sh``) for a separate
counting pass, reads the statements the web workers' backends wrote to the server log, and turns it
off again before anything is timed. The bench's own connection does not log. Transaction control
(BEGIN, COMMIT, SAVEPOINT…) is counted apart from the queries.

``InProcessTransport`` runs the same requests through ``django.test.Client`` in this process and counts
queries with ``CaptureQueriesContext``: for the test suite, whose database no other process can see.
"""

import http.client
import os
import re
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from crisisdesk.bench_ingest import Processes, _free_port, _port_open, _redis_url

BENCH_SETTINGS = "crisisdesk.bench.settings"
BENCH_URLCONF = "crisisdesk.bench.urls"
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START", "END"}
CONNECTION_SETUP = "SELECT set_config('TimeZone', "  # Django's, on each new connection (psycopg)
_STATEMENT = re.compile(r"\[(\d+)\] LOG:\s+(?:statement|execute [^:]*):\s?(.*)")


def rss_kib(pid: int) -> int:
    """Resident set size of a process, in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    """The direct child processes of ``pid`` (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def classify(statements: list[str]) -> dict[str, int]:
    """Queries (``sql``) apart from the rest (``tx``): transaction control, the pool's empty health check,
    and a new connection's set-up (Django's time zone), which the pool's threads run once per connection
    while it fills, whichever request is being counted meanwhile."""
    counts = {"sql": 0, "tx": 0}
    for text in statements:
        word = text.strip().split(None, 1)[0].rstrip(";").upper() if text.strip() else ""
        setup = text.strip().startswith(CONNECTION_SETUP)
        counts["tx" if not word or word in TRANSACTION_CONTROL or setup else "sql"] += 1
    return counts


class StatementLog:
    """Statements of every other backend, from the PostgreSQL server log, while ``log_statement`` is on."""

    def __init__(self):
        self.path = self._log_path()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.own_pid = cursor.fetchone()[0]
        self.marks = 0

    @staticmethod
    def _log_path() -> Path:
        # scripts/with-postgres.sh exports it; otherwise its layout: <workdir>/data and <workdir>/server.log.
        if os.environ.get("CRISISDESK_PG_LOG"):
            return Path(os.environ["CRISISDESK_PG_LOG"])
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            return Path(cursor.fetchone()[0]).parent / "server.log"

    def _set(self, on: bool) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET log_statement = 'none'")  # this session: never counted
            cursor.execute("ALTER SYSTEM SET log_statement = 'all'" if on else "ALTER SYSTEM RESET log_statement")
            cursor.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)  # the backends reload before their next command

    def __enter__(self):
        if not self.path.exists():
            raise RuntimeError(f"PostgreSQL's log is not at {self.path}: set CRISISDESK_PG_LOG")
        self._set(True)
        return self

    def __exit__(self, *exc):
        self._set(False)

    def mark(self) -> int:
        return self.path.stat().st_size

    def since(self, offset: int, *, timeout: float = 10.0) -> list[str]:
        """The other backends' statements logged after ``offset``, up to a marker this session logs now.

        PostgreSQL's logging collector writes the log after the fact: a fixed wait sometimes read a
        request's statements into the next request's count. The marker is logged after every statement
        of the request that has been answered, so whatever precedes it is that request's, and nothing more.
        """
        self.marks += 1
        marker = f"crisisdesk-bench-mark-{self.marks}"
        with connection.cursor() as cursor:
            cursor.execute("SET log_statement = 'all'")
            cursor.execute(f"SELECT '{marker}'")
            cursor.execute("SET log_statement = 'none'")
        deadline = time.monotonic() + timeout
        while True:
            with self.path.open("rb") as log:
                log.seek(offset)
                text = log.read().decode(errors="replace")
            end = text.find(marker)
            if end >= 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL's log never showed the bench's marker ({self.path})")
            time.sleep(0.01)
        return [m.group(2) for m in _STATEMENT.finditer(text[:end]) if int(m.group(1)) != self.own_pid]


class HTTPTransport:
    """gunicorn as deployed, on a free local port; a new connection per request."""

    kind = "http"

    def __init__(self, *, web: int = 2, max_requests: int | None = None):
        if connection.vendor != "postgresql" or "DATABASE_URL" not in os.environ:
            raise RuntimeError("the HTTP bench needs PostgreSQL through DATABASE_URL (run `make bench`)")
        self.web = web
        self.max_requests = max_requests  # None: gunicorn.conf.py's; 0: never recycle (the RSS reading)
        self.processes = Processes()
        self.port = _free_port()
        self.master = None
        self.log: StatementLog | None = None

    def describe(self) -> str:
        return (
            f"over HTTP to gunicorn (gunicorn.conf.py, {self.web} sync workers, settings {BENCH_SETTINGS}, "
            f"DEBUG={settings.DEBUG}), a new TCP connection per request; SQL counted from PostgreSQL's log "
            "(log_statement = 'all', in a separate pass, not while timing)"
        )

    def start(self) -> None:
        env = {
            **self.processes.env(_redis_url()),  # the cache as deployed: Redis when there is one
            "DJANGO_SETTINGS_MODULE": BENCH_SETTINGS,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(self.web),
            # Throttles still run on every API request; the bench just must not hit their limits.
            "API_THROTTLE_USER": "100000000/min",
            "API_THROTTLE_ANON": "100000000/min",
        }
        if self.max_requests is not None:
            env["GUNICORN_MAX_REQUESTS"] = str(self.max_requests)
        self.processes.start(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "crisisdesk.wsgi", "-c", "gunicorn.conf.py"],
            env,
            ready=lambda _log: _port_open(self.port) and len(children(self.processes.running[-1][1].pid)) >= self.web,
        )
        self.master = self.processes.running[-1][1].pid

    def stop(self) -> None:
        self.processes.stop()

    def get(self, path: str, headers: dict) -> tuple[int, int, float]:
        """One GET on a fresh connection: status, body size, seconds (connect to last byte)."""
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", path, headers={"Host": "localhost", **headers})
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        return response.status, len(body), time.perf_counter() - started

    def counting(self):
        self.log = StatementLog()
        return self.log

    def count_sql(self, path: str, headers: dict, requests: int) -> dict:
        """Statements per request (``sql``, ``tx``) over ``requests`` GETs, and the statements of the last one."""
        counts = {"sql": 0, "tx": 0}
        statements: list[str] = []
        for _ in range(requests):
            offset = self.log.mark()
            self.get(path, headers)
            statements = self.log.since(offset)
            for key, value in classify(statements).items():
                counts[key] += value
        return {key: value / requests for key, value in counts.items()} | {"statements": statements}

    def worker_rss(self) -> dict[int, int]:
        return {pid: rss_kib(pid) for pid in children(self.master)}


class _NoCount:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class InProcessTransport:
    """The same requests through ``django.test.Client`` in this process (the test suite)."""

    kind = "inprocess"

    def __init__(self, **_ignored):
        self.override = override_settings(ROOT_URLCONF=BENCH_URLCONF)
        self.client = Client()

    def describe(self) -> str:
        return "in-process through django.test.Client (no server); SQL counted with CaptureQueriesContext"

    def start(self) -> None:
        self.override.enable()

    def stop(self) -> None:
        self.override.disable()

    def get(self, path: str, headers: dict) -> tuple[int, int, float]:
        extra = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items() if name != "Cookie"}
        self.client.cookies.clear()
        for pair in filter(None, (headers.get("Cookie") or "").split("; ")):
            name, _, value = pair.partition("=")
            self.client.cookies[name] = value
        started = time.perf_counter()
        response = self.client.get(path, **extra)
        return response.status_code, len(response.content), time.perf_counter() - started

    def counting(self):
        return _NoCount()

    def count_sql(self, path: str, headers: dict, requests: int) -> dict:
        counts = {"sql": 0, "tx": 0}
        for _ in range(requests):
            with CaptureQueriesContext(connection) as queries:
                self.get(path, headers)
            statements = [q["sql"] for q in queries.captured_queries]
            for key, value in classify(statements).items():
                counts[key] += value
        return {key: value / requests for key, value in counts.items()} | {"statements": statements}

    def worker_rss(self) -> dict[int, int]:
        return {os.getpid(): rss_kib(os.getpid())}
