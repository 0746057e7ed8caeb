"""Team leads set up integrations, so they create, see and revoke integration API keys.

``apikeys.add_apikey`` is what ``services.can_manage_keys`` asks for; which keys a team lead
sees and revokes (those they created or that act as them) is decided by the views. Deleting
is not granted: a revoked key stays listed, so its last use remains visible.
"""

from django.db import migrations

from crisisdesk.roles import TEAM_LEAD, sync_group_permissions

GROUP_PERMISSIONS = {
    TEAM_LEAD: ["apikeys.add_apikey", "apikeys.change_apikey", "apikeys.view_apikey"],
}


def grant(apps, schema_editor):
    sync_group_permissions(apps, GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("apikeys", "0001_initial"), ("incidents", "0002_roles_and_append_only")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
