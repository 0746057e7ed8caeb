"""Global roles (Django groups) and the permissions each one holds.

Data migrations call ``sync_group_permissions`` with the mapping as it stood
when they were written, so later issues add permissions in new migrations.
"""

COMMUNICATOR = "Communicator"
LEGAL = "Legal"
TEAM_LEAD = "Team lead"
OBSERVER = "Observer"

ALL_ROLES = (COMMUNICATOR, LEGAL, TEAM_LEAD, OBSERVER)


def sync_group_permissions(apps, mapping: dict[str, list[str]]) -> None:
    """Create the groups and grant them ``app_label.codename`` permissions (additive)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran; a data
    # migration that grants them must create them first.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, perms in mapping.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
