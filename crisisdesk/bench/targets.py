"""What the bench requests, as whom, and how it measures: interleaved rounds, concurrency, worker memory.

Every target is a GET that must answer 200. The personas are the first bench users of each role;
the war room is the most recent active, non-confidential incident with a lead, opened by its lead
(the team lead persona) and by a communicator, a legal adviser and an observer. Browser pages carry
a session cookie made in this process; the API carries a DRF token (the ``Authorization`` header).
"""

import http.client
import threading
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token

from crisisdesk.bench.report import percentile
from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD
from incidents.models import ACTIVE_STATUSES, Incident

BARE = "bare Django view"
WAR_ROOM = "war room"


class BenchError(RuntimeError):
    """A target did not answer 200, or the data set lacks what a target needs."""


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _first(role: str):
    user = get_user_model().objects.filter(groups__name=role, is_active=True).order_by("username").first()
    if user is None:
        raise BenchError(f"No active user with the role {role} to log in as.")
    return user


def war_room_incident() -> Incident:
    """The war room people keep open: recent, active, not confidential (every persona sees it), with a lead."""
    active = Incident.objects.filter(confidential=False, status__in=ACTIVE_STATUSES)
    incident = (
        active.filter(lead__isnull=False).order_by("-detected_at").first()
        or active.order_by("-detected_at").first()
        or Incident.objects.filter(confidential=False).order_by("-detected_at").first()
    )
    if incident is None:
        raise BenchError("No incident to open the war room of.")
    return incident


def build_targets(long_incident: Incident | None = None) -> tuple[list[dict], Incident]:
    """The targets in the order they are printed (bare view first), and the war room's incident.

    ``long_incident``: another incident (one with a long timeline), whose war room the communicator opens too.
    """
    incident = war_room_incident()
    communicator = _first(COMMUNICATOR)
    personas = {
        "communicator": communicator,
        "legal": _first(LEGAL),
        "team lead": incident.lead or _first(TEAM_LEAD),
        "observer": _first(OBSERVER),
    }
    cookies = {label: session_cookie(user) for label, user in personas.items()}
    token, _ = Token.objects.get_or_create(user=communicator)
    api = {"Authorization": f"Token {token.key}", "Accept": "application/json"}

    def who(label: str) -> str:
        return f"{label} ({personas[label].username})"

    def target(name: str, label: str, path: str, *, api_token: bool = False) -> dict:
        if api_token:
            return {"target": name, "persona": f"{who(label)}, API token", "path": path, "headers": api}
        return {"target": name, "persona": who(label), "path": path, "headers": {"Cookie": cookies[label]}}

    ref = incident.reference
    targets = [
        {"target": BARE, "persona": "anonymous", "path": "/__bench__/bare/", "headers": {}},
        target("API list of 20", "communicator", "/api/v1/incidents/?page_size=20", api_token=True),
        target("API detail", "communicator", f"/api/v1/incidents/{ref}/", api_token=True),
        target("incident list page", "communicator", "/incidents/"),
        *(target(WAR_ROOM, label, f"/incidents/{ref}/") for label in personas),
    ]
    if long_incident is not None:
        entries = long_incident.timeline.count()
        targets.append(
            target(f"{WAR_ROOM} {entries:,} entries", "communicator", f"/incidents/{long_incident.reference}/")
        )
    targets += [
        target("review queue", "legal", "/reviews/queue/"),
        target("mention inbox", "communicator", "/mentions/"),
        target("dashboard", "communicator", "/"),
    ]
    return targets, incident


def _check(target: dict, status: int) -> None:
    if status != 200:
        raise BenchError(f"GET {target['path']} as {target['persona']} answered {status}, expected 200")


def measure_pages(transport, targets: list[dict], *, requests: int, warmup: int, count: int) -> list[dict]:
    """Warm up, count SQL per request (own pass), then time ``requests`` interleaved rounds over every target.

    Interleaved: round after round, each target once per round, so a slower moment of the machine
    falls on every target alike and the ratios to the bare view stay fair.
    """
    for _ in range(warmup):
        for target in targets:
            status, _size, _seconds = transport.get(target["path"], target["headers"])
            _check(target, status)
    with transport.counting():
        sql = {id(t): transport.count_sql(t["path"], t["headers"], count) for t in targets}
    samples: dict[int, list[float]] = {id(t): [] for t in targets}
    sizes: dict[int, int] = {}
    for _ in range(requests):
        for target in targets:
            status, size, seconds = transport.get(target["path"], target["headers"])
            _check(target, status)
            samples[id(target)].append(seconds)
            sizes[id(target)] = size
    return [
        {
            "target": t["target"],
            "persona": t["persona"],
            "p50": percentile(samples[id(t)], 50),
            "p95": percentile(samples[id(t)], 95),
            "sql": sql[id(t)]["sql"],
            "tx": sql[id(t)]["tx"],
            "statements": sql[id(t)]["statements"],
            "bytes": sizes[id(t)],
        }
        for t in targets
    ]


def measure_concurrency(transport, target: dict, *, clients: int, duration: float) -> dict:
    """``clients`` threads GET ``target`` back to back for ``duration`` seconds: errors, p50/p95, throughput."""
    if transport.kind != "http":
        clients = 1  # in-process, another thread would have a database connection of its own
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration

    def run():
        while time.perf_counter() < stop_at:
            try:
                status, _size, seconds = transport.get(target["path"], target["headers"])
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(repr(exc))
                continue
            with lock:
                latencies.append(seconds)
                if status != 200:
                    errors.append(str(status))

    started = time.perf_counter()
    if clients == 1:
        run()
    else:
        threads = [threading.Thread(target=run) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elapsed = time.perf_counter() - started
    return {
        "target": target["target"],
        "persona": target["persona"],
        "clients": clients,
        "duration": elapsed,
        "requests": len(latencies),
        "errors": len(errors),
        "error_sample": errors[:3],
        "p50": percentile(latencies, 50) if latencies else 0.0,
        "p95": percentile(latencies, 95) if latencies else 0.0,
        "throughput": len(latencies) / elapsed if elapsed else 0.0,
    }


def measure_rss(transport, targets: list[dict], *, requests: int) -> dict:
    """Worker RSS before and after ``requests`` more GETs, round robin over the targets."""
    before = transport.worker_rss()
    for n in range(requests):
        target = targets[n % len(targets)]
        status, _size, _seconds = transport.get(target["path"], target["headers"])
        _check(target, status)
    after = transport.worker_rss()
    return {
        "requests": requests,
        "before": before,
        "after": after,
        "max": max(after.values(), default=0),
        "same_workers": set(before) == set(after),
    }
