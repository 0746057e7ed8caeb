"""Hypothesis stateful test: random people doing random things never get unapproved text published.

Invariant after every step: every statement that went out was approved, for exactly
the content hash of its published revision, by reviewers who are neither its author
nor that revision's editor, holding the roles the policy requires (Legal; at
severity 1 also the incident lead), one requirement per person.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review import services as review
from crisisdesk.review.models import Decision, ReviewDecision, ReviewStatus, canonical_hash
from crisisdesk.review.policy import has_explicit_perm
from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, UserFactory, role
from incidents import permissions
from incidents.models import Severity
from incidents.statement_models import Statement
from incidents.statement_services import statement_create, statement_update

from .helpers import HOLDING_TEXT, approved_key_message

S = ReviewStatus
REFUSALS = (PermissionDenied, InvalidTransition, ValidationError)
PERSONAS = ("comms", "comms2", "legal", "legal2", "lead", "lead2", "observer", "outsider", "comms_legal")
# Each rule draws its actor from everybody, with the people who may act three times as likely,
# so runs reach approval and publication as well as refusals. comms_legal (Communicator and
# Legal) is the four-eyes trap: may write, may approve, never both.
DRAFTERS = st.sampled_from(("comms_legal", "comms", "lead", "lead2") * 3 + PERSONAS)
REVIEWERS = st.sampled_from(("legal", "comms_legal", "legal2", "lead") * 3 + PERSONAS)
PUBLISHERS = st.sampled_from(("comms", "comms2", "lead", "lead2") * 3 + PERSONAS)
WITHDRAWERS = st.sampled_from(("legal", "lead", "lead2") * 3 + PERSONAS)
BODIES = st.sampled_from([HOLDING_TEXT, HOLDING_TEXT + ".", "We apologise.", "a" * 300, "We **apologise**."])


class ReviewGate(RuleBasedStateMachine):
    """Random sequences of create / edit / submit / approve / request changes / reject / publish / withdraw."""

    users: dict = {}
    incidents: list = []
    key_message = None
    outcomes: dict = {}

    statements = Bundle("statements")

    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint rolled back at teardown: examples do not see each other.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _attempt(self, pk, call, name):
        before = Statement.objects.get(pk=pk).status
        try:
            call(Statement.objects.get(pk=pk))
        except REFUSALS:
            # A refused action changes nothing (the service's transaction rolled back).
            assert Statement.objects.get(pk=pk).status == before
            return
        after = Statement.objects.get(pk=pk).status
        ReviewGate.outcomes[(name, after)] = ReviewGate.outcomes.get((name, after), 0) + 1

    @rule(target=statements, author=DRAFTERS, critical=st.booleans(), body=BODIES, verbatim=st.booleans())
    def create(self, author, critical, body, verbatim):
        if Statement.objects.count() >= 3:
            return multiple()  # a few statements taken far, rather than many left as drafts
        incident = self.incidents[1 if critical else 0]
        kwargs = {"title": "On the blender jars", "body": body}
        if verbatim:
            kwargs = {"from_key_message": self.key_message, "title": None, "body": None}
        try:
            statement = statement_create(actor=self.users[author], incident=incident, channels=["x"], **kwargs)
        except REFUSALS:
            return multiple()  # nothing to add to the bundle
        return statement.pk

    @rule(pk=statements, actor=DRAFTERS, body=st.one_of(st.none(), st.none(), BODIES))
    def edit(self, pk, actor, body):
        if body is None:
            return  # edits reset everything to draft: keep them rarer than the other moves
        self._attempt(pk, lambda s: statement_update(actor=self.users[actor], statement=s, body=body), "edit")

    @rule(pk=statements, actor=DRAFTERS)
    def submit(self, pk, actor):
        self._attempt(pk, lambda s: review.review_submit(actor=self.users[actor], item=s), "submit")

    @rule(pk=statements, actor=REVIEWERS)
    def approve(self, pk, actor):
        self._attempt(
            pk,
            lambda s: review.review_approve(actor=self.users[actor], item=s, revision=s.current_revision),
            "approve",
        )

    @rule(pk=statements, last_editor=st.booleans())
    def writer_tries_to_approve(self, pk, last_editor):
        """The attack four eyes exists for: the author or the last editor approves their own text."""
        statement = Statement.objects.select_related("current_revision").get(pk=pk)
        writer = statement.current_revision.created_by if last_editor else statement.created_by
        self._attempt(pk, lambda s: review.review_approve(actor=writer, item=s, revision=s.current_revision), "approve")

    @rule(pk=statements, actor=REVIEWERS, reject=st.booleans())
    def request_changes_or_reject(self, pk, actor, reject):
        decide = review.review_reject if reject else review.review_request_changes
        self._attempt(pk, lambda s: decide(actor=self.users[actor], item=s, comment="No."), "decide")

    @rule(pk=statements, actor=PUBLISHERS)
    def publish(self, pk, actor):
        self._attempt(pk, lambda s: review.review_publish(actor=self.users[actor], item=s), "publish")

    @rule(pk=statements, actor=WITHDRAWERS)
    def withdraw(self, pk, actor):
        self._attempt(pk, lambda s: review.review_withdraw(actor=self.users[actor], item=s, reason="Out."), "withdraw")

    @invariant()
    def nothing_goes_out_unapproved(self):
        for statement in Statement.objects.exclude(published_revision=None).select_related(
            "published_revision", "incident"
        ):
            assert statement.status in (S.PUBLISHED, S.WITHDRAWN)
            revision = statement.published_revision
            assert canonical_hash(revision.content) == revision.content_hash
            forbidden = {statement.created_by_id, revision.created_by_id}
            approvals = ReviewDecision.objects.filter(
                revision=revision, content_hash=revision.content_hash, decision=Decision.APPROVE
            ).select_related("reviewer", "based_on")
            legal = [
                a
                for a in approvals
                if a.role == "legal"
                and a.reviewer_id not in forbidden
                and (
                    has_explicit_perm(a.reviewer, "incidents.approve_statement")
                    or (a.based_on and has_explicit_perm(a.reviewer, "playbooks.approve_keymessage"))
                )
            ]
            assert legal, f"statement {statement.pk} published without a valid Legal approval"
            if statement.incident.severity == Severity.CRITICAL:
                leads = [
                    a
                    for a in approvals
                    if a.role == "incident_lead"
                    and a.reviewer_id not in forbidden
                    and permissions.is_incident_lead(a.reviewer, statement.incident)
                    and a.reviewer_id not in {x.reviewer_id for x in legal[:1]}
                ]
                assert leads, f"severity 1 statement {statement.pk} published without its lead's approval"

    @invariant()
    def status_is_always_a_known_state(self):
        assert set(Statement.objects.values_list("status", flat=True)) <= set(S.values)


@pytest.mark.django_db
def test_random_sequences_never_publish_unapproved_text():
    users = {
        "comms": UserFactory(username="comms", role=COMMUNICATOR),
        "comms2": UserFactory(username="comms2", role=COMMUNICATOR),
        "legal": UserFactory(username="legal", role=LEGAL),
        "legal2": UserFactory(username="legal2", role=LEGAL),
        "lead": UserFactory(username="lead", role=TEAM_LEAD),
        "lead2": UserFactory(username="lead2", role=TEAM_LEAD),
        "observer": UserFactory(username="observer", role=OBSERVER),
        "outsider": UserFactory(username="outsider"),
        "comms_legal": UserFactory(username="comms_legal", role=LEGAL),
    }
    users["comms_legal"].groups.add(users["comms"].groups.get())
    ordinary = IncidentFactory(severity=Severity.MEDIUM)
    critical = IncidentFactory(severity=Severity.CRITICAL, lead=users["lead"])
    MembershipFactory(incident=critical, user=users["lead"], role=role("lead"))
    ReviewGate.outcomes = {}
    ReviewGate.users = users
    ReviewGate.incidents = [ordinary, critical]
    ReviewGate.key_message = approved_key_message(author=users["lead2"], reviewer=users["legal"])

    run_state_machine_as_test(
        ReviewGate,
        settings=settings(
            max_examples=80,
            stateful_step_count=50,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )

    # The machine reached the interesting states, not only refusals.
    outcomes = ReviewGate.outcomes
    assert outcomes.get(("publish", S.PUBLISHED)), outcomes
    assert outcomes.get(("approve", S.APPROVED)), outcomes
    assert outcomes.get(("edit", S.DRAFT)), outcomes
