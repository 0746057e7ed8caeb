"""Grant the statement permissions to the global roles (who may draft, approve, publish, withdraw).

The reasons are in ``incidents/statement_services.py``'s docstring. Approval is
only ever granted through the Legal group: the engine ignores superuser status.
"""

from django.db import migrations

from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD, sync_group_permissions

GROUP_PERMISSIONS = {
    COMMUNICATOR: [
        "incidents.view_statement",
        "incidents.add_statement",
        "incidents.change_statement",
        "incidents.submit_statement",
        "incidents.publish_statement",
        "incidents.view_statementpublication",
        "incidents.add_statementpublication",
    ],
    LEGAL: [
        "incidents.view_statement",
        "incidents.approve_statement",
        "incidents.withdraw_statement",
        "incidents.view_statementpublication",
    ],
    TEAM_LEAD: [
        "incidents.view_statement",
        "incidents.add_statement",
        "incidents.change_statement",
        "incidents.submit_statement",
        "incidents.publish_statement",
        "incidents.withdraw_statement",
        "incidents.view_statementpublication",
        "incidents.add_statementpublication",
    ],
    OBSERVER: ["incidents.view_statement", "incidents.view_statementpublication"],
}


def grant(apps, schema_editor):
    sync_group_permissions(apps, GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_statements")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
