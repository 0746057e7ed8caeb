"""Grant the key message permissions: communicators and team leads draft, Legal approves, leads and Legal retire."""

from django.db import migrations

from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD, sync_group_permissions

GROUP_PERMISSIONS = {
    COMMUNICATOR: [
        "playbooks.view_keymessage",
        "playbooks.add_keymessage",
        "playbooks.change_keymessage",
        "playbooks.submit_keymessage",
    ],
    LEGAL: ["playbooks.view_keymessage", "playbooks.approve_keymessage", "playbooks.withdraw_keymessage"],
    TEAM_LEAD: [
        "playbooks.view_keymessage",
        "playbooks.add_keymessage",
        "playbooks.change_keymessage",
        "playbooks.submit_keymessage",
        "playbooks.withdraw_keymessage",
    ],
    OBSERVER: ["playbooks.view_keymessage"],
}


def grant(apps, schema_editor):
    sync_group_permissions(apps, GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("playbooks", "0001_key_messages"), ("incidents", "0002_roles_and_append_only")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
