"""Global roles with their permissions, the incident roles, and the append-only timeline trigger."""

from django.db import migrations

from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD, sync_group_permissions

READ = [
    "incidents.view_incident",
    "incidents.view_membership",
    "incidents.view_timelineentry",
    "incidents.view_fact",
    "incidents.view_incidentrole",
]

GROUP_PERMISSIONS = {
    COMMUNICATOR: READ
    + [
        "incidents.add_incident",
        "incidents.change_incident",
        "incidents.transition_incident",
        "incidents.add_timelineentry",
        "incidents.add_fact",
        "incidents.verify_fact",
    ],
    LEGAL: READ + ["incidents.add_timelineentry", "incidents.add_fact", "incidents.verify_fact"],
    TEAM_LEAD: READ
    + [
        "incidents.add_incident",
        "incidents.change_incident",
        "incidents.transition_incident",
        "incidents.close_incident",
        "incidents.manage_incident",
        "incidents.add_membership",
        "incidents.delete_membership",
        "incidents.add_timelineentry",
        "incidents.add_fact",
        "incidents.verify_fact",
        "incidents.add_incidentrole",
        "incidents.change_incidentrole",
    ],
    OBSERVER: READ,
}

INCIDENT_ROLES = [
    ("lead", "Incident lead", "Runs the crisis: sets severity, assembles the team, decides, closes."),
    ("spokesperson", "Spokesperson", "The one public voice: gives interviews and fronts statements."),
    ("communications", "Communications", "Drafts statements, keeps the timeline and the facts register."),
    ("legal", "Legal", "Reviews every public word before it goes out; advises on liability."),
    ("customer_care", "Customer care", "Answers customers, moves sensitive conversations to private channels."),
    ("social_media", "Social media", "Watches mentions, posts approved text, records live URLs."),
    ("scribe", "Scribe", "Writes decisions and times into the timeline as they happen."),
    ("executive_sponsor", "Executive sponsor", "Owns the business decision and the apology, if one is due."),
]

APPEND_ONLY_SQL = {
    "postgresql": (
        """
        CREATE OR REPLACE FUNCTION incidents_timeline_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'incidents_timelineentry is append-only';
        END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER incidents_timeline_no_update BEFORE UPDATE ON incidents_timelineentry
            FOR EACH ROW EXECUTE FUNCTION incidents_timeline_append_only();
        """,
        """
        DROP TRIGGER IF EXISTS incidents_timeline_no_update ON incidents_timelineentry;
        DROP FUNCTION IF EXISTS incidents_timeline_append_only();
        """,
    ),
    "sqlite": (
        """
        CREATE TRIGGER incidents_timeline_no_update BEFORE UPDATE ON incidents_timelineentry
        BEGIN SELECT RAISE(ABORT, 'incidents_timelineentry is append-only'); END;
        """,
        "DROP TRIGGER IF EXISTS incidents_timeline_no_update;",
    ),
}


def create_roles(apps, schema_editor):
    sync_group_permissions(apps, GROUP_PERMISSIONS)
    IncidentRole = apps.get_model("incidents", "IncidentRole")
    for position, (code, name, responsibilities) in enumerate(INCIDENT_ROLES):
        IncidentRole.objects.get_or_create(
            code=code, defaults={"name": name, "responsibilities": responsibilities, "position": position}
        )


def append_only(apps, schema_editor):
    sql = APPEND_ONLY_SQL.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql[0])


def drop_append_only(apps, schema_editor):
    sql = APPEND_ONLY_SQL.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql[1])


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(append_only, drop_append_only),
    ]
