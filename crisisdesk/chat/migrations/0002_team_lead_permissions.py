"""Team leads manage chat destinations (including deleting and testing them) and see their deliveries."""

from django.db import migrations

from crisisdesk.roles import TEAM_LEAD, sync_group_permissions

GROUP_PERMISSIONS = {
    TEAM_LEAD: [
        "chat.view_destination",
        "chat.add_destination",
        "chat.change_destination",
        "chat.delete_destination",
        "chat.test_destination",
        "chat.view_chatdelivery",
        "chat.view_chatattempt",
    ],
}


def grant(apps, schema_editor):
    sync_group_permissions(apps, GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial"), ("incidents", "0002_roles_and_append_only")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
