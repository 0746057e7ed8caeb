"""Default response targets per severity, and who may edit them (team leads).

Severity 1 follows common crisis-communication practice: acknowledge within 15
minutes, say something in public within the hour, then update every 30 minutes
for the first six hours. Lower severities relax each step.
"""

from django.db import migrations

from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD, sync_group_permissions

# severity: (acknowledge, first public response, update every, cadence lasts), in minutes.
DEFAULT_TARGETS = {
    1: (15, 60, 30, 6 * 60),
    2: (30, 2 * 60, 60, 12 * 60),
    3: (2 * 60, 8 * 60, 4 * 60, 24 * 60),
    4: (8 * 60, 24 * 60, None, None),
}

GROUP_PERMISSIONS = {
    TEAM_LEAD: [
        "incidents.view_responsetarget",
        "incidents.change_responsetarget",
        "incidents.view_responsereminder",
    ],
    COMMUNICATOR: ["incidents.view_responsetarget"],
    LEGAL: ["incidents.view_responsetarget"],
    OBSERVER: ["incidents.view_responsetarget"],
}


def create_defaults(apps, schema_editor):
    ResponseTarget = apps.get_model("incidents", "ResponseTarget")
    for severity, (acknowledge, first_response, interval, window) in DEFAULT_TARGETS.items():
        ResponseTarget.objects.get_or_create(
            severity=severity,
            defaults={
                "acknowledge_minutes": acknowledge,
                "first_response_minutes": first_response,
                "update_interval_minutes": interval,
                "update_window_minutes": window,
            },
        )
    sync_group_permissions(apps, GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0005_response_targets")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
