"""Grant the playbook, roster, exercise and task permissions.

Everyone with a CrisisDesk role reads playbooks, the roster and exercises.
Communicators and team leads draft playbook versions; only team leads approve them
(four eyes applying), keep the roster and run exercises.
Communicators and team leads complete or skip incident tasks (members of an
incident's team may too, whatever their role).
"""

from django.db import migrations

from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD, sync_group_permissions

READ = [
    "playbooks.view_playbook",
    "playbooks.view_playbookversion",
    "playbooks.view_playbookstep",
    "playbooks.view_exercise",
    "playbooks.view_department",
    "playbooks.view_person",
    "playbooks.view_rolecapability",
    "incidents.view_incidenttask",
    "incidents.view_playbookactivation",
]

GROUP_PERMISSIONS = {
    COMMUNICATOR: READ
    + [
        "playbooks.add_playbookversion",
        "playbooks.change_playbookversion",
        "playbooks.submit_playbookversion",
        "incidents.complete_incidenttask",
    ],
    LEGAL: READ,
    TEAM_LEAD: READ
    + [
        "playbooks.add_playbook",
        "playbooks.change_playbook",
        "playbooks.add_playbookversion",
        "playbooks.change_playbookversion",
        "playbooks.submit_playbookversion",
        "playbooks.approve_playbookversion",
        "playbooks.add_exercise",
        "playbooks.change_exercise",
        "playbooks.add_department",
        "playbooks.change_department",
        "playbooks.add_person",
        "playbooks.change_person",
        "playbooks.delete_person",
        "incidents.complete_incidenttask",
        "incidents.change_incidenttask",
    ],
    OBSERVER: READ,
}


def grant(apps, schema_editor):
    sync_group_permissions(apps, GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("playbooks", "0003_playbooks_roster_exercises"), ("incidents", "0008_task_playbook_links")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
