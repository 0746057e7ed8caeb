"""What the evidence record holds, gap by gap: each test reads the content Legal would hand over."""

from datetime import timedelta

import pytest

from crisisdesk.review import services as review
from crisisdesk.testing.factories import TimelineEntryFactory, role
from incidents import services as incident_services
from incidents.checklist.services import playbook_activate, task_complete
from incidents.listening.alerts import alert_attach
from incidents.listening.models import Mention
from incidents.listening.tests.alert_helpers import make_alert, make_rule
from incidents.statements.services import statement_create, statement_record_url, statement_update
from playbooks.tests.playbook_helpers import active_playbook, second_team_lead
from postmortems.evidence.record import ATTACHMENTS_NOTE, EXERCISE_LABEL, build_record
from postmortems.evidence.tests.conftest import T0
from postmortems.tests.helpers import play_crisis, published_review

pytestmark = pytest.mark.django_db


def only_statement(record):
    [statement] = record["statements"]
    return statement


def test_approval_names_the_approver_the_time_and_a_null_factor(crisis, legal):
    [decision] = only_statement(build_record(crisis))["decisions"]
    assert decision["decision"] == "approve"
    assert decision["reviewer"]["username"] == legal.username
    assert decision["at"] == (T0 + timedelta(minutes=20)).isoformat()
    assert decision["revision"] == 1
    assert decision["role"] == "legal"
    assert "factor" in decision and decision["factor"] is None


def test_approval_factor_comes_from_the_approval_audit_event(monkeypatch, team_lead, communicator, legal):
    """When the audit data records the factor (step-up sign-in), the decision carries it."""
    original = review._audit

    def audit_with_factor(**kwargs):
        if kwargs["action"] == "approve":
            kwargs["data"] = {**(kwargs.get("data") or {}), "factor": "totp"}
        return original(**kwargs)

    monkeypatch.setattr(review, "_audit", audit_with_factor)
    incident = play_crisis(
        lead=team_lead, communicator=communicator, legal=legal, detected=T0, submit=1, approve=2, publish=3
    )
    statement = only_statement(build_record(incident))
    assert [d["factor"] for d in statement["decisions"]] == ["totp"]
    approve_events = [e for e in statement["review_events"] if e["action"] == "approve"]
    assert [e["factor"] for e in approve_events] == ["totp"]
    assert {e["factor"] for e in statement["review_events"] if e["action"] != "approve"} == {None}


def test_each_revision_carries_the_diff_from_the_previous_one(team_lead, communicator, incident):
    statement = statement_create(
        actor=communicator, incident=incident, title="Holding line", body="We are investigating.", channels=["x"]
    )
    statement_update(actor=communicator, statement=statement, body="We found the cause.\nRefunds start today.")
    first, second = only_statement(build_record(incident))["revisions"]
    assert first["diff_from_previous"] is None
    diff = second["diff_from_previous"]
    assert diff["from"] == 1
    assert diff["changed_fields"] == ["body"]
    assert diff["text"].splitlines() == [
        "@@ body @@",
        "- We are investigating.",
        "+ We found the cause.",
        "+ Refunds start today.",
    ]


def test_publication_live_urls_and_withdrawal_are_recorded(crisis, communicator, team_lead):
    statement = crisis.statements.get()
    statement_record_url(actor=communicator, statement=statement, channel="x", url="https://x.example/post/1")
    review.review_withdraw(actor=team_lead, item=statement, reason="Facts changed")
    record = only_statement(build_record(crisis))
    assert record["published_by"]["username"] == communicator.username
    assert record["published_at"] == (T0 + timedelta(minutes=30)).isoformat()
    assert record["published_revision"] == 1
    [publication] = record["publications"]
    assert (publication["channel"], publication["url"]) == ("x", "https://x.example/post/1")
    assert publication["recorded_by"]["username"] == communicator.username
    assert record["withdrawn_by"]["username"] == team_lead.username
    assert record["withdrawal_reason"] == "Facts changed"
    actions = [e["action"] for e in record["review_events"]]
    assert actions[-3:] == ["publish", "record_url", "withdraw"]


def test_facts_register_says_who_verified_what(crisis, team_lead, communicator):
    fact = incident_services.fact_add(actor=communicator, incident=crisis, claim="Batch 42 is affected", source="QA")
    incident_services.fact_verify(actor=team_lead, fact=fact, status="confirmed", note="QA report 7")
    [row] = build_record(crisis)["facts"]
    assert row["id"] == fact.pk
    assert row["created_by"]["username"] == communicator.username
    assert row["verified_by"]["username"] == team_lead.username
    assert row["status"] == "confirmed"
    assert row["verification_note"] == "QA report 7"


def test_alerts_come_with_their_evidence_mentions(crisis, team_lead):
    alert = make_alert(make_rule(team_lead), mentions=2, incident=crisis)
    sample = alert.evidence["mention_ids"]
    alert.evidence["mention_ids"] = [*sample, 999999]  # a mention deleted since
    alert.save(update_fields=["evidence"])
    [row] = build_record(crisis)["alerts"]
    assert row["id"] == alert.pk
    assert row["rule"] == "Acme spike" and row["watch_term"] == "Acme"
    assert [m["id"] for m in row["evidence_mentions"]] == sample
    assert row["evidence_mentions"][0]["text"] == Mention.objects.get(pk=sample[0]).text
    assert row["evidence"]["mention_ids"][-1] == 999999


def test_tasks_with_who_closed_them(crisis, team_lead):
    playbook = active_playbook(author=second_team_lead(), approver=team_lead)
    playbook_activate(actor=team_lead, incident=crisis, playbook=playbook)
    first = crisis.tasks.order_by("position").first()
    task_complete(actor=team_lead, task=first, note="Done with QA")
    tasks = build_record(crisis)["tasks"]
    assert [t["title"] for t in tasks][:1] == ["Confirm the facts with the product team"]
    assert len(tasks) == 3
    assert tasks[0]["status"] == "done"
    assert tasks[0]["completed_by"]["username"] == team_lead.username
    assert tasks[0]["note"] == "Done with QA"
    assert tasks[0]["playbook"] == playbook.title


def test_post_crisis_review_with_its_revisions_and_approval(crisis, team_lead, legal):
    approver = second_team_lead()
    item = published_review(author=team_lead, approver=approver, incident=crisis, lessons="Pre-approve a holding line.")
    postmortem = build_record(crisis)["postmortem"]
    assert postmortem["id"] == item.pk
    assert postmortem["status"] == "published"
    lessons = next(s for s in postmortem["sections"] if s["field"] == "lessons")
    assert lessons["text"] == "Pre-approve a holding line."
    assert [d["reviewer"]["username"] for d in postmortem["decisions"]] == [approver.username]
    assert postmortem["decisions"][0]["factor"] is None
    assert postmortem["revisions"][-1]["diff_from_previous"]["changed_fields"]
    assert "+ Pre-approve a holding line." in postmortem["revisions"][-1]["diff_from_previous"]["text"]


def test_no_review_yet_is_null(crisis):
    assert build_record(crisis)["postmortem"] is None


def test_audit_trail_covers_the_incident_its_team_and_its_alerts(crisis, team_lead, communicator):
    alert = make_alert(make_rule(team_lead), mentions=0)
    alert_attach(actor=team_lead, alert=alert, incident=crisis)
    incident_services.membership_add(actor=team_lead, incident=crisis, user=communicator, role=role("communications"))
    audit = build_record(crisis)["audit"]
    attached = next(row for row in audit if row["action"] == "alert.attached")
    assert (attached["target_type"], attached["target_id"]) == ("alert", str(alert.pk))
    assert attached["actor"]["username"] == team_lead.username
    assert attached["data"] == {"incident": crisis.reference}
    added = next(row for row in audit if row["action"] == "membership.add" and row["data"]["user"] == communicator.pk)
    assert added["target_type"] == "incident"
    assert added["to"] == f"{communicator.username}: communications"
    assert added["factor"] is None
    assert [row["at"] for row in audit] == sorted(row["at"] for row in audit)


def test_exercise_is_labelled_in_the_json(team_lead, communicator, legal, crisis):
    drill = play_crisis(lead=team_lead, communicator=communicator, legal=legal, detected=T0, is_exercise=True)
    record = build_record(drill)
    assert record["exercise"] is True
    assert record["label"] == EXERCISE_LABEL
    real = build_record(crisis)
    assert real["exercise"] is False and real["label"] is None


def test_attachments_are_declared_as_not_stored(crisis):
    attachments = build_record(crisis)["attachments"]
    assert attachments == {"stored": False, "files": [], "note": ATTACHMENTS_NOTE}


def test_team_is_listed(crisis, team_lead):
    usernames = [m["user"]["username"] for m in build_record(crisis)["team"]]
    assert team_lead.username in usernames


def test_timeline_is_in_order(crisis):
    TimelineEntryFactory(incident=crisis, body="late note")
    bodies = [e["body"] for e in build_record(crisis)["timeline"]]
    assert bodies[-1] == "late note"


def test_evidence_mention_of_another_hidden_incident_stays_out(crisis, team_lead, communicator, confidential_incident):
    """As on the alert's page: the exporter sees no mention linked to a confidential incident hidden from them."""
    secret = confidential_incident  # communicator is not on its team
    alert = make_alert(make_rule(team_lead), mentions=2, incident=crisis)
    hidden_id, shown_id = alert.evidence["mention_ids"]
    Mention.objects.filter(pk=hidden_id).update(incident=secret)
    as_communicator = build_record(crisis, viewer=communicator)["alerts"][0]
    assert [m["id"] for m in as_communicator["evidence_mentions"]] == [shown_id]
    assert as_communicator["evidence"]["mention_ids"] == [hidden_id, shown_id]
    as_operator = build_record(crisis)["alerts"][0]  # the command line exports everything
    assert [m["id"] for m in as_operator["evidence_mentions"]] == [hidden_id, shown_id]
