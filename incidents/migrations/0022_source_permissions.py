"""Sources: team leads manage them; everyone who reads the inbox sees their health."""

from django.db import migrations

from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD, sync_group_permissions

GROUP_PERMISSIONS = {
    COMMUNICATOR: ["incidents.view_source"],
    LEGAL: ["incidents.view_source"],
    OBSERVER: ["incidents.view_source"],
    TEAM_LEAD: ["incidents.view_source", "incidents.add_source", "incidents.change_source"],
}


def grant(apps, schema_editor):
    sync_group_permissions(apps, GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0021_feed_sources_become_sources")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
