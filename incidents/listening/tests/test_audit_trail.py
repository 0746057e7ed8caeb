"""Mention triage, watch-term and spike-rule edits are in the system audit trail (who, when, from, to)."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from crisisdesk.audit.models import AuditRecord
from crisisdesk.audit.services import records_for
from crisisdesk.testing.factories import MembershipFactory, role
from incidents.listening import services as mention_services
from incidents.listening.models import FollowUpChannel, Mention, MentionStatus, SpikeAction

pytestmark = pytest.mark.django_db

POSTED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _mentions(n):
    return [
        Mention.objects.create(platform="x", external_id=f"a-{i}", text=f"Jar {i} cracked", posted_at=POSTED)
        for i in range(n)
    ]


def test_bulk_status_change_records_each_mention(communicator):
    first, second = _mentions(2)
    Mention.objects.filter(pk=second.pk).update(status=MentionStatus.TRIAGED)
    assert mention_services.mentions_set_status(actor=communicator, mentions=[first, second], status="ignored") == 2
    records = AuditRecord.objects.filter(action="mention.status")
    trail = {r.target_id: (r.action, r.actor, r.from_state, r.to_state) for r in records}
    assert trail == {
        str(first.pk): ("mention.status", communicator, "new", "ignored"),
        str(second.pk): ("mention.status", communicator, "triaged", "ignored"),
    }


def test_a_refused_status_change_records_nothing(communicator):
    with pytest.raises(ValidationError):
        mention_services.mentions_set_status(actor=communicator, mentions=_mentions(1), status="bogus")
    assert not AuditRecord.objects.filter(action__startswith="mention.").exists()


def test_linking_to_an_incident_records_it(communicator, incident):
    (mention,) = _mentions(1)
    mention_services.mentions_link_incident(actor=communicator, mentions=[mention], incident=incident)
    record = records_for(mention).get()
    assert (record.action, record.from_state, record.to_state) == ("mention.link", "", incident.reference)


def test_answers_record_the_status_change(communicator, team_lead, incident):
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    public, private = _mentions(2)
    mention_services.mention_record_answer(actor=communicator, mention=public, reply_url="https://x.example/r/1")
    mention_services.mention_answer_privately(
        actor=team_lead, mention=private, incident=incident, channel=FollowUpChannel.values[0]
    )
    assert records_for(public).get().to_state == MentionStatus.ANSWERED
    record = records_for(private).get()
    assert (record.actor, record.from_state, record.to_state) == (team_lead, "new", MentionStatus.ANSWERED_PRIVATELY)


def test_watch_terms_are_audited(team_lead):
    term = mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")
    mention_services.watch_term_set_active(actor=team_lead, watch_term=term, active=False)
    paused, added = records_for(term)
    assert (added.action, added.actor, added.to_state) == ("watch_term.add", team_lead, "active")
    assert (paused.action, paused.from_state, paused.to_state) == ("watch_term.active", "active", "paused")


def test_spike_rules_are_audited_with_what_changed(team_lead):
    term = mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")
    rule = mention_services.spike_rule_save(actor=team_lead, data={"name": "Acme spike", "watch_term": term})
    mention_services.spike_rule_save(actor=team_lead, rule=rule, data={"min_count": 40, "name": "Acme spike"})
    updated, created = records_for(rule)
    assert (created.action, created.actor) == ("spike_rule.create", team_lead)
    assert created.data["after"]["watch_term"] == term.pk
    assert (updated.action, updated.to_state) == ("spike_rule.update", "min_count=40")
    assert updated.data["after"] == {"min_count": 40} and "min_count" in updated.data["before"]


def test_a_refused_spike_rule_edit_records_nothing(team_lead):
    term = mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")
    with pytest.raises(ValidationError):
        mention_services.spike_rule_save(
            actor=team_lead, data={"name": "Acme spike", "watch_term": term, "action": SpikeAction.ATTACH}
        )
    assert not AuditRecord.objects.filter(action__startswith="spike_rule").exists()
