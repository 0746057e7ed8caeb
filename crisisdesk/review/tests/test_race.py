"""Racing reviewers and publishers: row locks let exactly one publish through, every time.

Runs in the PostgreSQL pass of ``make test`` (``scripts/with-postgres.sh``): SQLite has
neither row locks nor real concurrent writers, so it would prove nothing.

Each trial drafts and submits a fresh statement, then releases eight threads on a
barrier: Legal reviewers approving the same revision (and, at severity 1, the incident
lead giving the second approval) while communicators and team leads press "publish"
over and over until the statement is out. The author also tries to approve their own
text. Every loser must get a clean refusal (InvalidTransition → 409 or
PermissionDenied → 403), never a database error, and the trial must finish in time.

The first test races the service functions directly (50 trials); the second sends the
same racers through real HTTP requests to the REST API on a live server (fewer trials),
to show that a lost race is a 409/403 answer, never an error page.
"""

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from rest_framework.authtoken.models import Token

from crisisdesk.apikeys.grants import grant_enable
from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review import services as review
from crisisdesk.review.models import Action, AuditEvent, Decision, ReviewDecision, ReviewStatus
from crisisdesk.roles import COMMUNICATOR, LEGAL, TEAM_LEAD
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, UserFactory, role
from crisisdesk.twofactor.stepup import TOTP
from incidents.models import Incident, Severity, TimelineEntry, TimelineKind
from incidents.statements.models import Statement

from .helpers import make_statement

THREADS = 8
TRIALS = 50
# One trial normally takes well under a second; a thread still running after this is stuck.
TRIAL_TIMEOUT = 20
# Publishers retry while the approval has not landed yet, but not for ever.
PUBLISH_PATIENCE = 10

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def cast():
    """The people of every trial: an author, Legal reviewers, publishers and an incident lead."""
    return {
        "author": UserFactory(username="race-author", role=COMMUNICATOR),
        "legal": [UserFactory(username=f"race-legal{i}", role=LEGAL) for i in range(4)],
        "communicators": [UserFactory(username=f"race-comms{i}", role=COMMUNICATOR) for i in range(2)],
        "team_leads": [UserFactory(username=f"race-lead{i}", role=TEAM_LEAD) for i in range(2)],
        "incident_lead": UserFactory(username="race-incident-lead", role=TEAM_LEAD),
    }


def _approve(user, pk):
    statement = Statement.objects.select_related("current_revision").get(pk=pk)
    review.review_approve(actor=user, item=statement, revision=statement.current_revision)
    return "approved"


def _publish_when_approved(user, pk):
    """Press "publish" until it works, or until someone else's publish has gone through."""
    deadline = time.monotonic() + PUBLISH_PATIENCE
    while True:
        try:
            review.review_publish(actor=user, item=Statement.objects.get(pk=pk))
            return "published"
        except InvalidTransition:
            status = Statement.objects.values_list("status", flat=True).get(pk=pk)
            # Retry while in review, or approved since our attempt (the last approval landed in
            # between); give up once published by someone else, or if the approval never came.
            if status not in (ReviewStatus.IN_REVIEW, ReviewStatus.APPROVED) or time.monotonic() > deadline:
                raise
            time.sleep(0.002)


def race(jobs) -> tuple[list, list[BaseException]]:
    """Run each ``(callable, user, pk)`` in its own thread, all released together."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(index, call, user, pk):
        try:
            barrier.wait(timeout=TRIAL_TIMEOUT)
            results[index] = call(user, pk)
        except BaseException as exc:  # noqa: BLE001 - the main thread judges every failure
            with lock:
                errors.append(exc)
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=worker, args=(i, *job), daemon=True) for i, job in enumerate(jobs)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.1, TRIAL_TIMEOUT - (time.monotonic() - started)))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"threads still running after {TRIAL_TIMEOUT}s (deadlock?): {stuck}"
    return results, errors


def _trial(cast, n: int) -> dict:
    """One race; returns what happened, after checking exactly one publish went through."""
    critical = n % 5 == 4  # every fifth trial needs Legal and the incident lead
    incident = IncidentFactory(severity=Severity.CRITICAL if critical else Severity.HIGH, lead=cast["incident_lead"])
    MembershipFactory(incident=incident, user=cast["incident_lead"], role=role("lead"))
    statement = make_statement(author=cast["author"], incident=incident, title=f"Race {n}")
    review.review_submit(actor=cast["author"], item=statement)

    # Eight racers: approvers first in the list, rotated so no role always starts first.
    approvers = [(_approve, user, statement.pk) for user in cast["legal"][: 2 if critical else 3]]
    if critical:
        approvers.append((_approve, cast["incident_lead"], statement.pk))
    approvers.append((_approve, cast["author"], statement.pk))  # four eyes: always refused
    publishers = [
        (_publish_when_approved, user, statement.pk)
        for user in [*cast["communicators"], *cast["team_leads"], cast["incident_lead"]]
    ][: THREADS - len(approvers)]
    jobs = approvers + publishers
    assert len(jobs) == THREADS
    shift = n % THREADS
    results, errors = race(jobs[shift:] + jobs[:shift])

    unexpected = [e for e in errors if not isinstance(e, (InvalidTransition, PermissionDenied))]
    assert not unexpected, f"trial {n}: unexpected errors {unexpected!r}"
    outcome = Counter(r for r in results if r)
    assert outcome["published"] == 1, f"trial {n}: {outcome}, errors {errors!r}"
    assert outcome["approved"] == (2 if critical else 1), f"trial {n}: {outcome}"
    assert len(errors) == THREADS - outcome.total(), f"trial {n}"

    statement.refresh_from_db()
    assert statement.status == ReviewStatus.PUBLISHED
    assert statement.published_revision_id == statement.current_revision_id
    item_events = AuditEvent.objects.filter(content_type__model="statement", object_id=statement.pk)
    publish_events = item_events.filter(action=Action.PUBLISH)
    assert publish_events.count() == 1, f"trial {n}"
    # published_revision/at/by were written once: by the publish that the audit trail records.
    assert publish_events.get().actor_id == statement.published_by_id
    assert publish_events.get().revision_id == statement.published_revision_id
    assert item_events.filter(action=Action.APPROVE).count() == outcome["approved"]
    assert (
        TimelineEntry.objects.filter(
            incident=incident, kind=TimelineKind.STATEMENT, data__statement=statement.pk, data__action=Action.PUBLISH
        ).count()
        == 1
    )
    approvals = ReviewDecision.objects.filter(
        content_type__model="statement", object_id=statement.pk, decision=Decision.APPROVE
    )
    assert approvals.count() == outcome["approved"]
    assert set(approvals.values_list("revision_id", flat=True)) == {statement.published_revision_id}
    assert cast["author"].pk not in set(approvals.values_list("reviewer_id", flat=True))
    assert Incident.objects.get(pk=incident.pk).first_public_response_at == statement.published_at
    return {"critical": critical, "errors": Counter(type(e).__name__ for e in errors)}


def test_racing_reviewers_and_publishers_publish_exactly_once(cast):
    started = time.monotonic()
    refusals: Counter = Counter()
    for n in range(TRIALS):
        refusals.update(_trial(cast, n)["errors"])
    # Every loser was refused cleanly: four eyes (403) or a lost race / nothing left to do (409).
    critical_trials = sum(1 for n in range(TRIALS) if n % 5 == 4)
    assert refusals.total() == TRIALS * (THREADS - 2) - critical_trials
    assert set(refusals) <= {"PermissionDenied", "InvalidTransition"}
    assert refusals["InvalidTransition"] and refusals["PermissionDenied"], refusals
    assert Statement.objects.filter(status=ReviewStatus.PUBLISHED).count() == TRIALS
    assert time.monotonic() - started < 60, "the race test must stay fast"


# --- the same race through real HTTP -------------------------------------------------------------------------

HTTP_TRIALS = 6


class HttpRacer:
    """A REST API client for one user (token authentication), with what the race needs."""

    def __init__(self, base_url: str, user):
        self.base_url = base_url
        self.token = Token.objects.get_or_create(user=user)[0].key

    def _call(self, method: str, path: str, payload: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"{self.base_url}/api/v1/statements/{path}",
            method=method,
            data=json.dumps(payload).encode() if payload is not None else None,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TRIAL_TIMEOUT) as response:  # noqa: S310 - local test server
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def approve(self, pk: int, revision: int) -> int:
        return self._call("POST", f"{pk}/approve/", {"revision": revision})[0]

    def publish_when_approved(self, pk: int) -> list[tuple[str, int]]:
        """POST publish until it works or the statement is out; every request made, with its status."""
        deadline = time.monotonic() + PUBLISH_PATIENCE
        answers = []
        while True:
            code = self._call("POST", f"{pk}/publish/", {})[0]
            answers.append(("publish", code))
            if code != 409 or time.monotonic() > deadline:
                return answers
            code, body = self._call("GET", f"{pk}/")
            answers.append(("read", code))
            # Keep trying while it is still in review, or approved between our publish and this
            # read (the last approval landing there); stop once someone else published it.
            if code != 200 or body.get("status") not in (ReviewStatus.IN_REVIEW, ReviewStatus.APPROVED):
                return answers
            time.sleep(0.005)


def test_racing_over_http_answers_409_or_403_never_an_error_page(cast, live_server):
    base_url = live_server.url
    for n in range(HTTP_TRIALS):
        critical = n % 3 == 2
        incident = IncidentFactory(
            severity=Severity.CRITICAL if critical else Severity.HIGH, lead=cast["incident_lead"]
        )
        MembershipFactory(incident=incident, user=cast["incident_lead"], role=role("lead"))
        statement = make_statement(author=cast["author"], incident=incident, title=f"HTTP race {n}")
        review.review_submit(actor=cast["author"], item=statement)
        approvers = [*cast["legal"][: 2 if critical else 3], *([cast["incident_lead"]] if critical else [])]
        approvers.append(cast["author"])  # four eyes: 403
        publishers = [*cast["communicators"], *cast["team_leads"], cast["incident_lead"]][: THREADS - len(approvers)]
        jobs = [
            *[(lambda user, pk: HttpRacer(base_url, user).approve(pk, 1), user, statement.pk) for user in approvers],
            *[
                (lambda user, pk: HttpRacer(base_url, user).publish_when_approved(pk), u, statement.pk)
                for u in publishers
            ],
        ]
        # Tokens are created here, not in the racing threads; a team lead lets each approve and publish
        # (a token without an approval grant is refused those acts: crisisdesk.apikeys.grants).
        for _call, user, _pk in jobs:
            Token.objects.get_or_create(user=user)
            grant_enable(actor=cast["team_leads"][0], factor=TOTP, token_user=user)

        results, errors = race(jobs)

        assert errors == [], f"HTTP trial {n}: {errors!r}"
        approvals = results[: len(approvers)]
        requests = [answer for answers in results[len(approvers) :] for answer in answers]
        codes = set(approvals) | {code for _kind, code in requests}
        assert codes <= {200, 403, 409}, f"HTTP trial {n}: an error page among {approvals} {requests}"
        assert approvals.count(200) == (2 if critical else 1), approvals
        assert approvals[-1] in (403, 409)  # the author: refused, or too late to matter
        assert requests.count(("publish", 200)) == 1, requests
        statement.refresh_from_db()
        assert statement.status == ReviewStatus.PUBLISHED
        events = AuditEvent.objects.filter(content_type__model="statement", object_id=statement.pk)
        assert events.filter(action=Action.PUBLISH).count() == 1
        assert (
            TimelineEntry.objects.filter(
                incident=incident, data__statement=statement.pk, data__action=Action.PUBLISH
            ).count()
            == 1
        )
