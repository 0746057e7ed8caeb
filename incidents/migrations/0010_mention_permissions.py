"""Grant the social-listening permissions to the global roles.

Communicators and team leads triage the inbox (and team leads manage watch terms and spike
rules); legal and observers read it. Private follow-ups are further limited to the incident's
team by ``PrivateFollowUp.objects.visible_to``.
"""

from django.db import migrations

from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD, sync_group_permissions

READ = ["incidents.view_mention", "incidents.view_watchterm", "incidents.view_alert", "incidents.view_spikerule"]
TRIAGE = ["incidents.add_mention", "incidents.change_mention", "incidents.add_privatefollowup"]
GROUP_PERMISSIONS = {
    COMMUNICATOR: [*READ, *TRIAGE],
    LEGAL: READ,
    TEAM_LEAD: [
        *READ,
        *TRIAGE,
        "incidents.add_watchterm",
        "incidents.change_watchterm",
        "incidents.add_spikerule",
        "incidents.change_spikerule",
        "incidents.delete_spikerule",
    ],
    OBSERVER: READ,
}


def grant(apps, schema_editor):
    sync_group_permissions(apps, GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0009_mentions")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
