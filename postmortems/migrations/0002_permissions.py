"""Grant the post-crisis review and action item permissions to the global roles.

The reasons are in ``postmortems/services.py``'s docstring. Approval is only ever
granted through a group (Team lead, Legal): the engine ignores superuser status.
"""

from django.db import migrations

from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD, sync_group_permissions

GROUP_PERMISSIONS = {
    COMMUNICATOR: [
        "postmortems.view_postmortemreview",
        "postmortems.change_postmortemreview",
        "postmortems.submit_postmortemreview",
        "postmortems.view_actionitem",
    ],
    LEGAL: [
        "postmortems.view_postmortemreview",
        "postmortems.approve_postmortemreview",
        "postmortems.view_actionitem",
    ],
    TEAM_LEAD: [
        "postmortems.view_postmortemreview",
        "postmortems.change_postmortemreview",
        "postmortems.submit_postmortemreview",
        "postmortems.approve_postmortemreview",
        "postmortems.publish_postmortemreview",
        "postmortems.withdraw_postmortemreview",
        "postmortems.view_crisis_metrics",
        "postmortems.view_actionitem",
        "postmortems.add_actionitem",
        "postmortems.change_actionitem",
    ],
    OBSERVER: ["postmortems.view_postmortemreview", "postmortems.view_actionitem"],
}


def grant(apps, schema_editor):
    sync_group_permissions(apps, GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0001_reviews_and_action_items"), ("incidents", "0004_statement_permissions")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
