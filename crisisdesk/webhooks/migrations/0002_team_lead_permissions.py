"""Team leads manage webhook subscriptions and see (and redeliver) deliveries; nobody else does.

Deleting is not granted: a subscription with deliveries is deactivated, so its log stays.
"""

from django.db import migrations

from crisisdesk.roles import TEAM_LEAD, sync_group_permissions

GROUP_PERMISSIONS = {
    TEAM_LEAD: [
        "webhooks.view_subscription",
        "webhooks.add_subscription",
        "webhooks.change_subscription",
        "webhooks.view_outboxevent",
        "webhooks.view_delivery",
        "webhooks.redeliver_delivery",
        "webhooks.view_deliveryattempt",
    ],
}


def grant(apps, schema_editor):
    sync_group_permissions(apps, GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0001_initial"), ("incidents", "0002_roles_and_append_only")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
