"""Timeline system entries: stored as event code + params, rendered in the reader's language; old rows converted."""

import importlib

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from crisisdesk.testing.factories import FactFactory, IncidentFactory, MembershipFactory, role
from incidents import services, timeline
from incidents.models import FactStatus, Status, TimelineEntry, TimelineKind

MIGRATION = importlib.import_module("incidents.migrations.0016_timeline_event_codes")


@pytest.fixture
def war_room(db, team_lead):
    incident = services.incident_open(actor=team_lead, title="Cracked blender jars", severity=3)
    services.incident_change_status(
        actor=team_lead, incident=incident, to_status=Status.INVESTIGATING, comment="Calls piling up."
    )
    fact = services.fact_add(actor=team_lead, incident=incident, claim="Batch 42 only.")
    services.fact_verify(actor=team_lead, fact=fact, status=FactStatus.REFUTED, note="Batch 43 too.")
    services.timeline_add_note(actor=team_lead, incident=incident, body="Call the supplier first thing.")
    return incident


def test_system_entries_store_event_and_params_and_an_english_body(war_room):
    opened = war_room.timeline.get(kind=TimelineKind.OPENED)
    assert (opened.event, opened.params) == ("incident.opened", {"severity": 3})
    assert opened.body == "Incident opened at severity 3."
    status = war_room.timeline.get(kind=TimelineKind.STATUS_CHANGE)
    assert status.params == {"from": "detected", "to": "investigating", "comment": "Calls piling up."}
    note = war_room.timeline.get(kind=TimelineKind.NOTE)
    assert (note.event, note.params) == ("", {})


def test_english_body_even_when_a_french_user_caused_it(db, team_lead):
    with translation.override("fr"):
        incident = services.incident_open(actor=team_lead, title="x", severity=2)
    assert incident.timeline.get(kind=TimelineKind.OPENED).body == "Incident opened at severity 2."


def test_rendered_in_the_active_language(war_room):
    status = war_room.timeline.get(kind=TimelineKind.STATUS_CHANGE)
    with translation.override("fr"):
        assert status.text == "Statut passé de « Détecté » à « En investigation ». Calls piling up."
    with translation.override("en"):
        assert status.text == "Status changed from Detected to Investigating. Calls piling up."


def test_french_reader_sees_french_on_the_war_room(war_room, client_for, team_lead):
    page = client_for(team_lead).get(f"/incidents/{war_room.reference}/", HTTP_ACCEPT_LANGUAGE="fr")
    html = page.content.decode()
    assert "Incident ouvert avec la gravité 3." in html
    assert "Fait réfuté : Batch 42 only. — Batch 43 too." in html
    assert "Incident opened at severity" not in html
    # What a person typed is shown as typed.
    assert "Call the supplier first thing." in html


def test_french_reader_sees_french_in_the_api(war_room, client_for, team_lead):
    client = client_for(team_lead)
    rows = client.get(f"/api/v1/timeline/?incident={war_room.reference}", HTTP_ACCEPT_LANGUAGE="fr").json()
    rows = rows.get("results", rows)
    by_event = {row["event"]: row for row in rows}
    assert by_event["incident.opened"]["body"] == "Incident ouvert avec la gravité 3."
    assert by_event["incident.opened"]["params"] == {"severity": 3}
    assert by_event["fact.refuted"]["body"] == "Fait réfuté : Batch 42 only. — Batch 43 too."
    assert by_event[""]["body"] == "Call the supplier first thing."
    english = client.get(f"/api/v1/timeline/?incident={war_room.reference}", HTTP_ACCEPT_LANGUAGE="en").json()
    english = {row["event"]: row for row in english.get("results", english)}
    assert english["incident.opened"]["body"] == "Incident opened at severity 3."


def test_every_event_has_a_french_sentence():
    # Importing the services declares every domain's events.
    import incidents.checklist.services  # noqa: F401
    import incidents.listening.spikes  # noqa: F401
    import incidents.statements.services  # noqa: F401
    import postmortems.services  # noqa: F401

    untranslated = []
    for code, declared in timeline.events().items():
        with translation.override("en"):
            english = str(declared.template)
        with translation.override("fr"):
            french = str(declared.template)
        if english == french:
            untranslated.append(code)
    assert untranslated == []
    assert len(timeline.events()) >= 23


def test_unknown_event_or_bad_params_fall_back_to_the_stored_body(db):
    incident = IncidentFactory()
    unknown = TimelineEntry.objects.create(incident=incident, kind="note", body="Kept.", event="gone.event")
    assert unknown.text == "Kept."
    bad = TimelineEntry.objects.create(
        incident=incident, kind="task", body="Stored.", event="checklist.playbook_activated", params={"count": "x"}
    )
    assert bad.text == "Stored."


@pytest.mark.parametrize(
    ("kind", "body", "data", "expected"),
    [
        ("opened", "Incident opened at severity 2.", {}, ("incident.opened", {"severity": 2})),
        (
            "status_change",
            "Status changed from Detected to Responding. Going public.",
            {"from": "detected", "to": "responding"},
            ("incident.status_changed", {"from": "detected", "to": "responding", "comment": "Going public."}),
        ),
        ("status_change", "Incident acknowledged.", {"acknowledged": True}, ("incident.acknowledged", {})),
        (
            "severity_change",
            "Severity changed from 3 to 1.",
            {},
            ("incident.severity_changed", {"old": 3, "new": 1, "comment": ""}),
        ),
        (
            "edit",
            "Edited: title, summary.",
            {"fields": ["title", "summary"]},
            ("incident.edited", {"fields": ["title", "summary"]}),
        ),
        (
            "lead_change",
            "Lead changed from — to Lea Lead.",
            {},
            ("incident.lead_changed", {"old": "—", "new": "Lea Lead"}),
        ),
        (
            "team_change",
            "Sam joined the crisis team as Legal.",
            {},
            ("team.joined", {"user": "Sam", "role": "Legal"}),
        ),
        ("team_change", "Sam left the role Legal.", {}, ("team.left", {"user": "Sam", "role": "Legal"})),
        ("fact", "Fact registered: Batch 42.", {}, ("fact.registered", {"claim": "Batch 42."})),
        (
            "fact",
            "Fact refuted: Batch 42. — Batch 43 too.",
            {},
            ("fact.refuted", {"claim": "Batch 42.", "note": "Batch 43 too."}),
        ),
        (
            "statement",
            "Statement “Holding line”: Published.",
            {"action": "publish"},
            ("statement.review", {"title": "Holding line", "action": "publish", "comment": ""}),
        ),
        (
            "task",
            "Playbook “Product safety” v2 activated: 7 tasks.",
            {},
            ("checklist.playbook_activated", {"title": "Product safety", "number": 2, "count": 7}),
        ),
        (
            "task",
            "Task “Call Legal” assigned to nobody.",
            {},
            ("checklist.task_assigned", {"title": "Call Legal", "who": ""}),
        ),
        (
            "task",
            "Task skipped: Call Legal — not needed",
            {},
            ("checklist.task_skipped", {"title": "Call Legal", "reason": "not needed"}),
        ),
        ("task", "Task done: Call Legal", {}, ("checklist.task_done", {"title": "Call Legal", "note": ""})),
        (
            "note",
            "Spike alert: 40 mentions of “Acme” in the last 60 minutes.",
            {},
            ("listening.spike_alert", {"count": 40, "term": "Acme", "minutes": 60}),
        ),
        (
            "note",
            "Post-crisis review: Approved.",
            {"postmortem": 1, "action": "approve"},
            ("postmortem.review", {"action": "approve", "comment": ""}),
        ),
        # Typed by a person: never converted, even when it reads like a system sentence.
        ("note", "Post-crisis review: Approved.", {}, None),
        ("decision", "Incident opened at severity 2.", {}, None),
        # Written in French before this change: left as stored.
        ("opened", "Incident ouvert avec la gravité 2.", {}, None),
    ],
)
def test_migration_parses_old_english_sentences(kind, body, data, expected):
    assert MIGRATION.parse(kind, body, data) == expected


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_converts_rows_and_keeps_the_table_append_only():
    incident = IncidentFactory()
    MembershipFactory(incident=incident, role=role("lead"))
    executor = MigrationExecutor(connection)
    before = [("incidents", "0015_mention_bounds_constraints")]
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        OldEntry = old_apps.get_model("incidents", "TimelineEntry")
        opened = OldEntry.objects.create(incident_id=incident.pk, kind="opened", body="Incident opened at severity 2.")
        typed = OldEntry.objects.create(incident_id=incident.pk, kind="note", body="Incident opened at severity 2.")
        fact = OldEntry.objects.create(
            incident_id=incident.pk, kind="fact", body="Fact confirmed: Batch 42.", data={"fact": 1}
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        # Forward through 0016 to every app's leaf: going back dropped the tables of the apps that depend
        # on incidents (notifications, chat…), and later tests in this process need them.
        executor.migrate(executor.loader.graph.leaf_nodes())
    rows = {row.pk: row for row in TimelineEntry.objects.filter(pk__in=[opened.pk, typed.pk, fact.pk])}
    assert (rows[opened.pk].event, rows[opened.pk].params) == ("incident.opened", {"severity": 2})
    assert (rows[fact.pk].event, rows[fact.pk].params) == ("fact.confirmed", {"claim": "Batch 42.", "note": ""})
    assert (rows[typed.pk].event, rows[typed.pk].body) == ("", "Incident opened at severity 2.")
    with translation.override("fr"):
        assert rows[opened.pk].text == "Incident ouvert avec la gravité 2."
    # The trigger is back: raw SQL cannot rewrite history.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE incidents_timelineentry SET body = 'rewritten' WHERE id = %s", [opened.pk])


def test_fact_verdict_entries_use_their_own_codes(db, team_lead):
    fact = FactFactory(incident=IncidentFactory())
    services.fact_verify(actor=team_lead, fact=fact, status=FactStatus.CONFIRMED)
    entry = TimelineEntry.objects.get(event="fact.confirmed")
    with translation.override("fr"):
        assert entry.text.startswith("Fait confirmé : ")
