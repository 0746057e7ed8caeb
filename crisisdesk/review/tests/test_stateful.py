"""Hypothesis stateful test: random people doing random things never get unapproved text published.

A second line of defence behind the example-based tests, so it must find a broken gate
reliably, not by luck. Rules are steered towards the attacks the gate exists for:

- two personas can both write and approve: ``comms_legal`` (Communicator and Legal) and
  ``lead`` (the severity-1 incident's lead). They draft, edit other people's statements
  and then try to approve them — as author, as last editor, as an earlier editor;
- compound rules play whole review rounds (submit → approvals → publish) and the
  "approved, edited, re-reviewed by one person, published" sequence that an approval
  not bound to its revision would let through.

The oracle is written here, independently of the engine (group membership and the
incident's lead, not the policy's functions), and checked after every step:

1. a published statement was approved, for exactly its published revision's content
   hash, by a Legal member and — at severity 1 — by the incident lead, two different
   people, none of whom wrote any revision of it or is its author;
2. an ``approved`` statement has exactly such approvals on its current revision;
3. every approval recorded is bound to its revision's hash and given by someone
   entitled to the role it claims who had not written the text;
4. a refused action changes nothing.

Deterministic in CI (``derandomize``); ``HYPOTHESIS_RANDOM=1`` draws fresh sequences and
``REVIEW_GATE_EXAMPLES=n`` runs more (or fewer) of them. Shrinking is off by default because
each shrink step replays database work (Hypothesis may spend five minutes on it); set
``HYPOTHESIS_SHRINK=1`` to get a minimal failing sequence when investigating.

Mutation check (issue 3): with the author check, the last-editor check, the binding of an
approval to its revision, or the severity-1 lead requirement disabled in the engine, this
test failed every time (derandomized, and 8 of 8 random runs for each).
"""

import os

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review import services as review
from crisisdesk.review.models import (
    AuditEvent,
    Decision,
    ReviewDecision,
    ReviewStatus,
    Revision,
    canonical_hash,
)
from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, UserFactory, role
from incidents.models import Severity
from incidents.statements.models import Statement
from incidents.statements.services import statement_create, statement_update
from playbooks.keymessages.models import KeyMessage

from .helpers import HOLDING_TEXT, approved_key_message

S = ReviewStatus
REFUSALS = (PermissionDenied, InvalidTransition, ValidationError)
MAX_STATEMENTS = 4

PERSONAS = ("comms", "comms2", "legal", "legal2", "lead", "lead2", "observer", "outsider", "comms_legal")
# The two people who may both write and approve: the four-eyes traps.
TRAPS = ("comms_legal", "lead")
# Actors are drawn from everybody, with the people who may act (and the traps) more likely,
# so runs reach approval and publication as well as refusals.
DRAFTERS = st.sampled_from(TRAPS * 4 + ("comms", "comms2", "lead2") * 2 + PERSONAS)
EDITORS = st.sampled_from(TRAPS * 4 + ("comms", "comms2", "lead2") * 2 + PERSONAS)
REVIEWERS = st.sampled_from(("legal", "legal2", "lead") * 3 + TRAPS * 2 + PERSONAS)
PUBLISHERS = st.sampled_from(("comms", "comms2", "lead", "lead2") * 3 + PERSONAS)
WITHDRAWERS = st.sampled_from(("legal", "lead", "lead2") * 3 + PERSONAS)
BODIES = st.sampled_from([HOLDING_TEXT, HOLDING_TEXT + ".", "We apologise.", "a" * 300, "We **apologise**."])
# For the compound rules: people who can actually take the step, so whole sequences go through.
ROUND_REVIEWERS = st.sampled_from(("legal", "legal2", "lead", "comms_legal"))
ROUND_EDITORS = st.sampled_from(("comms", "comms2", "lead2", "comms_legal", "lead"))
WRITERS = st.sampled_from(("author", "last_editor", "any_editor"))
# Severity 1 (two approvals) is where most of the rules live: two thirds of the statements.
CRITICAL = st.sampled_from((True, True, False))


def _shrink_phases():
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    if os.environ.get("HYPOTHESIS_SHRINK"):
        phases.append(Phase.shrink)
    return phases


class ReviewGate(RuleBasedStateMachine):
    """Random sequences of create / edit / submit / approve / request changes / reject / publish / withdraw."""

    # Set by the test function: rows created once, outside the per-example savepoint.
    users: dict = {}
    incidents: dict = {}
    key_message = None
    legal_ids: frozenset = frozenset()
    outcomes: dict = {}

    statements = Bundle("statements")

    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint rolled back at teardown: examples do not see each other.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._checked = False

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers -----------------------------------------------------------------------------

    def _footprint(self, pk):
        return (
            *Statement.objects.values_list("status", "current_revision", "published_revision").get(pk=pk),
            ReviewDecision.objects.filter(content_type__model="statement", object_id=pk).count(),
            AuditEvent.objects.filter(content_type__model="statement", object_id=pk).count(),
        )

    def _attempt(self, pk, call, name) -> bool:
        """Run one service call; a refusal must leave no trace. Returns whether it went through."""
        before = self._footprint(pk)
        try:
            call(Statement.objects.select_related("current_revision").get(pk=pk))
        except REFUSALS:
            assert self._footprint(pk) == before, f"refused {name} changed statement {pk}"
            return False
        finally:
            # The oracle runs after every service call, also inside the compound rules.
            self.check_oracle()
            self._checked = True
        after = Statement.objects.get(pk=pk).status
        ReviewGate.outcomes[(name, after)] = ReviewGate.outcomes.get((name, after), 0) + 1
        return True

    def _create(self, author, critical, body, verbatim):
        incident = self.incidents["critical" if critical else "ordinary"]
        kwargs = {"title": "On the blender jars", "body": body}
        if verbatim:
            kwargs = {"from_key_message": self.key_message, "title": None, "body": None}
        try:
            statement = statement_create(actor=self.users[author], incident=incident, channels=["x"], **kwargs)
        except REFUSALS:
            return None
        ReviewGate.outcomes[("create", critical)] = ReviewGate.outcomes.get(("create", critical), 0) + 1
        return statement.pk

    def _edit(self, pk, actor, body):
        def call(statement):
            # Always a real change: an edit that changes nothing makes no revision.
            new_body = body if body != statement.body else body + " Updated."
            statement_update(actor=self.users[actor], statement=statement, body=new_body)

        return self._attempt(pk, call, "edit")

    def _submit(self, pk, actor):
        return self._attempt(pk, lambda s: review.review_submit(actor=self.users[actor], item=s), "submit")

    def _approve(self, pk, user):
        return self._attempt(
            pk, lambda s: review.review_approve(actor=user, item=s, revision=s.current_revision), "approve"
        )

    def _publish(self, pk, actor):
        return self._attempt(pk, lambda s: review.review_publish(actor=self.users[actor], item=s), "publish")

    # --- rules ---------------------------------------------------------------------------------

    @initialize(target=statements, author=DRAFTERS, critical=CRITICAL, body=BODIES)
    def first_statement(self, author, critical, body):
        # Every example starts with a statement, by a trap as often as not, so rules have work to do.
        pk = self._create(author, critical, body, verbatim=False)
        return multiple() if pk is None else pk

    @precondition(lambda self: Statement.objects.count() < MAX_STATEMENTS)
    @rule(target=statements, author=DRAFTERS, critical=CRITICAL, body=BODIES, verbatim=st.booleans())
    def create(self, author, critical, body, verbatim):
        pk = self._create(author, critical, body, verbatim)
        return multiple() if pk is None else pk

    @rule(pk=statements, actor=EDITORS, body=BODIES)
    def edit(self, pk, actor, body):
        self._edit(pk, actor, body)

    @rule(pk=statements, actor=DRAFTERS)
    def submit(self, pk, actor):
        self._submit(pk, actor)

    @rule(pk=statements, actor=REVIEWERS)
    def approve(self, pk, actor):
        self._approve(pk, self.users[actor])

    @rule(pk=statements, which=WRITERS)
    def writer_tries_to_approve(self, pk, which):
        """The attack four eyes exists for: someone who wrote the text approves it."""
        statement = Statement.objects.select_related("current_revision", "created_by").get(pk=pk)
        if which == "author":
            writer = statement.created_by
        elif which == "last_editor":
            writer = statement.current_revision.created_by
        else:
            # A writer who is neither the author nor the last editor, if there is one.
            others = (
                Revision.objects.filter(content_type__model="statement", object_id=pk)
                .exclude(created_by__in=[statement.created_by_id, statement.current_revision.created_by_id])
                .values_list("created_by", flat=True)
            )
            writer = next((u for u in self.users.values() if u.pk in set(others)), statement.created_by)
        self._approve(pk, writer)

    @rule(pk=statements, insider=st.sampled_from(TRAPS), edits=st.booleans(), body=BODIES)
    def insider_approves_own_text(self, pk, insider, edits, body):
        """Someone who may write and approve (maybe) edits the text, submits it and approves it.

        Legitimate only when they wrote none of it; otherwise the author or last-editor attack in one move.
        """
        if edits:
            self._edit(pk, insider, body)
        self._submit(pk, insider)
        self._approve(pk, self.users[insider])

    @rule(
        pk=statements,
        submitter=DRAFTERS,
        reviewers=st.lists(st.one_of(ROUND_REVIEWERS, REVIEWERS), min_size=1, max_size=3),
        publisher=st.one_of(st.none(), PUBLISHERS),
    )
    def review_round(self, pk, submitter, reviewers, publisher):
        """A whole round as a team plays it: submit, one to three approvals, maybe publish."""
        self._submit(pk, submitter)
        for reviewer in reviewers:
            self._approve(pk, self.users[reviewer])
        if publisher is not None:
            self._publish(pk, publisher)

    @rule(
        pk=statements,
        submitter=DRAFTERS,
        before=st.lists(ROUND_REVIEWERS, min_size=1, max_size=2, unique=True),
        editor=ROUND_EDITORS,
        body=BODIES,
        after=st.lists(ROUND_REVIEWERS, min_size=1, max_size=2, unique=True),
        publisher=PUBLISHERS,
    )
    def approve_edit_reapprove(self, pk, submitter, before, editor, body, after, publisher):
        """Approvals are given, the text is edited, fewer people re-approve, someone publishes.

        With two approvals required (severity 1), only approvals bound to their revision
        keep the ones given before the edit from counting for the new text.
        """
        self._submit(pk, submitter)
        for reviewer in before:
            self._approve(pk, self.users[reviewer])
        self._edit(pk, editor, body)
        self._submit(pk, submitter)
        for reviewer in after:
            self._approve(pk, self.users[reviewer])
        self._publish(pk, publisher)

    @rule(pk=statements, actor=REVIEWERS, reject=st.booleans())
    def request_changes_or_reject(self, pk, actor, reject):
        decide = review.review_reject if reject else review.review_request_changes
        self._attempt(pk, lambda s: decide(actor=self.users[actor], item=s, comment="No."), "decide")

    @rule(pk=statements, actor=PUBLISHERS)
    def publish(self, pk, actor):
        self._publish(pk, actor)

    @rule(pk=statements, actor=WITHDRAWERS)
    def withdraw(self, pk, actor):
        self._attempt(pk, lambda s: review.review_withdraw(actor=self.users[actor], item=s, reason="Out."), "withdraw")

    # --- the oracle ----------------------------------------------------------------------------

    def _legal_approval_is_valid(self, decision, revision) -> bool:
        if decision.reviewer_id not in self.legal_ids:
            return False
        if decision.based_on_id is None:
            return True
        # Inherited from the key message: the same Legal member approved the same words there.
        source = decision.based_on
        return (
            source.content_type.model == "keymessage"
            and source.object_id == self.key_message.pk
            and source.decision == Decision.APPROVE
            and source.reviewer_id == decision.reviewer_id
            and source.revision.text_hash == revision.text_hash
            and source.content_hash == source.revision.content_hash
        )

    def _assert_fully_approved(self, statement, revision, approvals, writers, what: str) -> None:
        assert canonical_hash(revision.content) == revision.content_hash, f"{what}: revision hash does not match"
        valid = [
            d
            for d in approvals
            # Bound to exactly this revision and its hash; given by none of its writers.
            if d.revision_id == revision.pk and d.content_hash == revision.content_hash and d.reviewer_id not in writers
        ]
        legal = {d.reviewer_id for d in valid if d.role == "legal" and self._legal_approval_is_valid(d, revision)}
        assert legal, f"{what} without a valid Legal approval of revision {revision.number}"
        if statement.incident_id == self.incidents["critical"].pk:
            lead_id = self.users["lead"].pk
            lead = any(d.role == "incident_lead" and d.reviewer_id == lead_id and d.based_on_id is None for d in valid)
            assert lead, f"severity 1 {what} without its incident lead's approval of revision {revision.number}"
            assert legal - {lead_id}, f"severity 1 {what}: one person gave both approvals"

    def check_oracle(self) -> None:
        statements = {s.pk: s for s in Statement.objects.select_related("current_revision", "published_revision")}
        revisions: dict[int, list] = {pk: [] for pk in statements}
        for revision in Revision.objects.filter(content_type__model="statement"):
            revisions[revision.object_id].append(revision)
        approvals: dict[int, list] = {pk: [] for pk in statements}
        for decision in ReviewDecision.objects.filter(
            content_type__model="statement", decision=Decision.APPROVE
        ).select_related("revision", "based_on__revision", "based_on__content_type"):
            approvals[decision.object_id].append(decision)

        def writers(statement, up_to: int) -> set[int]:
            """The author and whoever wrote a revision up to ``up_to``: none of them may approve it."""
            return {statement.created_by_id} | {r.created_by_id for r in revisions[statement.pk] if r.number <= up_to}

        for pk, statement in statements.items():
            if statement.published_revision_id is not None:
                assert statement.status in (S.PUBLISHED, S.WITHDRAWN)
                assert statement.published_revision_id == statement.current_revision_id
                revision = statement.published_revision
                what = f"statement {pk} published"
                self._assert_fully_approved(
                    statement, revision, approvals[pk], writers(statement, revision.number), what
                )
            else:
                assert statement.status != S.PUBLISHED
            if statement.status == S.APPROVED:
                revision = statement.current_revision
                what = f"statement {pk} approved"
                self._assert_fully_approved(
                    statement, revision, approvals[pk], writers(statement, revision.number), what
                )
            for decision in approvals[pk]:
                assert decision.content_hash == decision.revision.content_hash, "approval not bound to its hash"
                assert decision.revision.object_id == pk
                assert decision.reviewer_id not in writers(statement, decision.revision.number), (
                    f"statement {pk}: user {decision.reviewer_id} approved text they wrote"
                )
                if decision.role == "incident_lead":
                    assert statement.incident_id == self.incidents["critical"].pk
                    assert decision.reviewer_id == self.users["lead"].pk
                else:
                    assert decision.role == "legal" and decision.reviewer_id in self.legal_ids

    @invariant()
    def oracle_holds(self):
        # After a rule that called a service the oracle already ran; after the others (creating), run it here.
        if not self._checked:
            self.check_oracle()
        self._checked = False

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
    critical = IncidentFactory(severity=Severity.CRITICAL, lead=users["lead"])
    MembershipFactory(incident=critical, user=users["lead"], role=role("lead"))
    ReviewGate.outcomes = {}
    ReviewGate.users = users
    ReviewGate.incidents = {"ordinary": IncidentFactory(severity=Severity.MEDIUM), "critical": critical}
    ReviewGate.legal_ids = frozenset(u.pk for u in users.values() if u.groups.filter(name=LEGAL).exists())
    ReviewGate.key_message = approved_key_message(author=users["lead2"], reviewer=users["legal"])
    assert KeyMessage.objects.usable().filter(pk=ReviewGate.key_message.pk).exists()

    # The thorough run is the SQLite pass; each step costs several times more round trips on PostgreSQL,
    # where a shorter run checks the same rules against the real constraints and triggers.
    default_examples = 60 if connection.vendor == "sqlite" else 25
    run_state_machine_as_test(
        ReviewGate,
        settings=settings(
            max_examples=int(os.environ.get("REVIEW_GATE_EXAMPLES", default_examples)),
            stateful_step_count=25,
            deadline=None,
            database=None,
            derandomize=not os.environ.get("HYPOTHESIS_RANDOM"),
            phases=_shrink_phases(),
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )

    # The machine reached the interesting states, not only refusals.
    outcomes = ReviewGate.outcomes
    assert outcomes.get(("publish", S.PUBLISHED)), outcomes
    assert outcomes.get(("approve", S.APPROVED)), outcomes
    assert outcomes.get(("approve", S.IN_REVIEW)), outcomes  # the first of two severity-1 approvals
    assert outcomes.get(("edit", S.DRAFT)), outcomes
    assert outcomes.get(("withdraw", S.WITHDRAWN)), outcomes
    assert outcomes.get(("create", True)) and outcomes.get(("create", False)), outcomes
