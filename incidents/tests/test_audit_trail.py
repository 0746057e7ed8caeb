"""Crisis-team changes are in the system audit trail (who, when, from, to), in the change's transaction."""

import pytest
from django.core.exceptions import ValidationError

from crisisdesk.audit.models import AuditRecord
from crisisdesk.audit.services import records_for
from crisisdesk.testing.factories import role
from incidents import services
from incidents.models import Status
from incidents.tests.test_services import incident_in

pytestmark = pytest.mark.django_db


def test_membership_add_and_remove_are_audited(team_lead, legal):
    incident = incident_in(Status.RESPONDING)
    membership = services.membership_add(actor=team_lead, incident=incident, user=legal, role=role("legal"))
    services.membership_remove(actor=team_lead, membership=membership)
    removed, added = records_for(incident)
    assert (added.action, added.actor, added.from_state, added.to_state) == (
        "membership.add",
        team_lead,
        "",
        "legal: legal",
    )
    assert (removed.action, removed.from_state, removed.to_state) == ("membership.remove", "legal: legal", "")
    assert added.data == {"user": legal.pk, "role": "legal"} and added.at <= removed.at


def test_a_refused_membership_change_leaves_no_record(team_lead, outsider):
    incident = incident_in(Status.RESPONDING)
    with pytest.raises(ValidationError):
        services.membership_add(actor=team_lead, incident=incident, user=outsider, role=role("scribe"))
    assert not AuditRecord.objects.filter(action__startswith="membership.").exists()


def test_a_new_lead_is_audited_as_a_team_change(team_lead, lead2):
    incident = incident_in(Status.RESPONDING)
    services.incident_set_lead(actor=team_lead, incident=incident, lead=team_lead)
    services.incident_set_lead(actor=team_lead, incident=incident, lead=lead2)
    trail = [(r.action, r.from_state, r.to_state) for r in records_for(incident).order_by("at", "id")]
    assert trail == [
        ("membership.add", "", "lead: lead"),
        ("membership.remove", "lead: lead", ""),
        ("membership.add", "", "lead2: lead"),
    ]
