"""Timeline system entries as an event code + parameters (rendered in the reader's language).

Existing rows whose English sentence can be parsed get their code and parameters; anything else
(what a person typed, a sentence written in French, a shape this does not know) stays as it is and
shows its stored ``body``. The timeline is append-only (a trigger refuses UPDATE, migration 0002):
the conversion drops the trigger, updates, and creates it again, on SQLite and PostgreSQL alike.
The patterns below are frozen copies of the sentences the services wrote before this migration.
"""

import re

from django.db import migrations, models

DROP_TRIGGER = {
    "postgresql": "DROP TRIGGER IF EXISTS incidents_timeline_no_update ON incidents_timelineentry;",
    "sqlite": "DROP TRIGGER IF EXISTS incidents_timeline_no_update;",
}
CREATE_TRIGGER = {
    "postgresql": """
        CREATE OR REPLACE FUNCTION incidents_timeline_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'incidents_timelineentry is append-only';
        END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER incidents_timeline_no_update BEFORE UPDATE ON incidents_timelineentry
            FOR EACH ROW EXECUTE FUNCTION incidents_timeline_append_only();
    """,
    "sqlite": """
        CREATE TRIGGER incidents_timeline_no_update BEFORE UPDATE ON incidents_timelineentry
        BEGIN SELECT RAISE(ABORT, 'incidents_timelineentry is append-only'); END;
    """,
}

S = re.DOTALL


def _comment(match, group):
    return (match.group(group) or "").strip()


def parse(kind: str, body: str, data: dict):
    """``(event, params)`` for a system sentence written before event codes, or ``None``."""
    body = body or ""
    data = data or {}
    if kind == "opened":
        m = re.fullmatch(r"Incident opened at severity (\d+)\.", body)
        if m:
            return "incident.opened", {"severity": int(m.group(1))}
    elif kind == "edit":
        if re.fullmatch(r"Edited: .+\.", body, S) and isinstance(data.get("fields"), list):
            return "incident.edited", {"fields": data["fields"]}
    elif kind == "status_change":
        if body == "Incident acknowledged.":
            return "incident.acknowledged", {}
        m = re.fullmatch(r"Status changed from .+? to .+?\.(?: (.*))?", body, S)
        if m and data.get("from") and data.get("to"):
            return "incident.status_changed", {"from": data["from"], "to": data["to"], "comment": _comment(m, 1)}
    elif kind == "severity_change":
        m = re.fullmatch(r"Severity changed from (\d) to (\d)\.(?: (.*))?", body, S)
        if m:
            return "incident.severity_changed", {
                "old": int(m.group(1)),
                "new": int(m.group(2)),
                "comment": _comment(m, 3),
            }
    elif kind == "lead_change":
        m = re.fullmatch(r"Lead changed from (.+?) to (.+)\.", body, S)
        if m:
            return "incident.lead_changed", {"old": m.group(1), "new": m.group(2)}
    elif kind == "team_change":
        m = re.fullmatch(r"(.+) joined the crisis team as (.+)\.", body, S)
        if m:
            return "team.joined", {"user": m.group(1), "role": m.group(2)}
        m = re.fullmatch(r"(.+) left the role (.+)\.", body, S)
        if m:
            return "team.left", {"user": m.group(1), "role": m.group(2)}
    elif kind == "fact":
        m = re.fullmatch(r"Fact registered: (.*)", body, S)
        if m:
            return "fact.registered", {"claim": m.group(1)}
        m = re.fullmatch(r"Fact (confirmed|refuted): (.*?)(?: — (.*))?", body, S)
        if m:
            return f"fact.{m.group(1)}", {"claim": m.group(2), "note": _comment(m, 3)}
    elif kind == "statement":
        m = re.fullmatch(r"Statement “(.+)”: .+?\.(?: (.*))?", body, S)
        if m and data.get("action"):
            return "statement.review", {"title": m.group(1), "action": data["action"], "comment": _comment(m, 2)}
    elif kind == "task":
        m = re.fullmatch(r"Playbook “(.+)” v(\d+) activated: (\d+) tasks\.", body, S)
        if m:
            return "checklist.playbook_activated", {
                "title": m.group(1),
                "number": int(m.group(2)),
                "count": int(m.group(3)),
            }
        m = re.fullmatch(r"Task “(.+)” assigned to (.+)\.", body, S)
        if m:
            who = m.group(2)
            return "checklist.task_assigned", {"title": m.group(1), "who": "" if who == "nobody" else who}
        m = re.fullmatch(r"Task skipped: (.*) — (.*)", body, S)
        if m:
            return "checklist.task_skipped", {"title": m.group(1), "reason": m.group(2)}
        m = re.fullmatch(r"Task done: (.*?)(?: — (.*))?", body, S)
        if m:
            return "checklist.task_done", {"title": m.group(1), "note": _comment(m, 2)}
        m = re.fullmatch(r"Task reopened: (.*)", body, S)
        if m:
            return "checklist.task_reopened", {"title": m.group(1)}
    elif kind == "note":
        m = re.fullmatch(r"Spike alert: (\d+) mentions of “(.+)” in the last (\d+) minutes\.", body, S)
        if m:
            return "listening.spike_alert", {"count": int(m.group(1)), "term": m.group(2), "minutes": int(m.group(3))}
        # Notes a person typed carry no data: only the post-crisis review's own notes are converted.
        if "postmortem" not in data:
            return None
        m = re.fullmatch(r"Post-crisis review: .+?\.(?: (.*))?", body, S)
        if m and data.get("action"):
            return "postmortem.review", {"action": data["action"], "comment": _comment(m, 1)}
        m = re.fullmatch(r"Action item added: (.+) \(owner (.+), due (\d{4}-\d\d-\d\d)\)\.", body, S)
        if m:
            return "postmortem.action_item_added", {"title": m.group(1), "owner": m.group(2), "due": m.group(3)}
        m = re.fullmatch(r"Action item “(.+)”: .+ → .+\.", body, S)
        if m and data.get("from") and data.get("to"):
            return "postmortem.action_item_status", {"title": m.group(1), "from": data["from"], "to": data["to"]}
        if data.get("all_action_items_closed"):
            return "postmortem.action_items_closed", {}
    return None


def convert(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    TimelineEntry = apps.get_model("incidents", "TimelineEntry")
    changed = []
    for entry in TimelineEntry.objects.filter(event="").only("id", "kind", "body", "data").iterator(chunk_size=2000):
        parsed = parse(entry.kind, entry.body, entry.data if isinstance(entry.data, dict) else {})
        if parsed:
            entry.event, entry.params = parsed
            changed.append(entry)
    if vendor in DROP_TRIGGER:
        schema_editor.execute(DROP_TRIGGER[vendor])
    if changed:
        TimelineEntry.objects.bulk_update(changed, ["event", "params"], batch_size=500)
    if vendor in CREATE_TRIGGER:
        schema_editor.execute(CREATE_TRIGGER[vendor])


def restore_sqlite_trigger(apps, schema_editor):
    # Unapplying: SQLite rebuilds the table to drop the columns, and the rebuild loses the trigger.
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(DROP_TRIGGER["sqlite"])
        schema_editor.execute(CREATE_TRIGGER["sqlite"])


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0015_mention_bounds_constraints"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_trigger),
        migrations.AddField(
            model_name="timelineentry",
            name="event",
            field=models.CharField(blank=True, default="", max_length=60, verbose_name="event"),
        ),
        migrations.AddField(
            model_name="timelineentry",
            name="params",
            field=models.JSONField(blank=True, default=dict),
        ),
        # Also puts back the SQLite trigger that the rebuilds above dropped.
        migrations.RunPython(convert, migrations.RunPython.noop),
    ]
