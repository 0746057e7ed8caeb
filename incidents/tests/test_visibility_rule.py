"""Rows that reach an incident through a foreign key follow ``Incident.visible_to`` exactly (``incident_visibility``).

The mention inbox reads the rule on the joined incident rather than through a subquery over
incidents (docs/performance.md); whatever the way, each person must see the mentions of exactly the
incidents they may see, plus the mentions linked to none.
"""

from datetime import UTC, datetime

import pytest

from crisisdesk.roles import TEAM_LEAD
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, UserFactory, role
from incidents.listening.models import Mention
from incidents.models import Incident

pytestmark = pytest.mark.django_db


def test_mentions_follow_the_incident_rule_for_every_person(personas, admin_user):
    lead_elsewhere = UserFactory(username="lead2", role=TEAM_LEAD)
    open_incident = IncidentFactory(title="Open")
    led = IncidentFactory(title="Led", confidential=True, lead=lead_elsewhere)
    joined = IncidentFactory(title="Joined", confidential=True)
    MembershipFactory(incident=joined, user=personas["communicator"], role=role("communications"))
    MembershipFactory(incident=joined, user=personas["observer"], role=role("communications"))
    hidden = IncidentFactory(title="Hidden", confidential=True)
    incidents = [open_incident, led, joined, hidden, None]
    for n, incident in enumerate(incidents):
        Mention.objects.create(
            platform="x",
            external_id=f"m-{n}",
            text="Acme",
            posted_at=datetime(2026, 11, 1, tzinfo=UTC),
            incident=incident,
        )
    seen = {}
    for name, user in {**personas, "lead2": lead_elsewhere, "superuser": admin_user}.items():
        visible = set(Incident.objects.visible_to(user).values_list("pk", flat=True))
        expected = (
            {m.pk for m in Mention.objects.all() if m.incident_id is None or m.incident_id in visible}
            if user.has_perm("incidents.view_mention")
            else set()
        )
        got = set(Mention.objects.visible_to(user).values_list("pk", flat=True))
        assert got == expected, name
        seen[name] = {m.incident.title if m.incident else "-" for m in Mention.objects.filter(pk__in=got)}
    # The matrix holds each case: a member, a lead, someone outside, the superuser.
    assert seen["communicator"] == {"Open", "Joined", "-"}
    assert seen["lead2"] >= {"Open", "Led", "-"} and "Hidden" not in seen["lead2"]
    assert seen["superuser"] == {"Open", "Led", "Joined", "Hidden", "-"}
    assert seen["outsider"] == set()
