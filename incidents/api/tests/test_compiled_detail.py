"""The API detail reads its incident from SQL compiled once per visibility scope (``crisisdesk.compiled``).

These tests hold the compiled path to the queryset path it replaces: the same statement, and the
same answer (status and body) for every persona on every kind of incident, so that a confidential
incident stays a 404 for exactly the people it was a 404 for.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, UserFactory, role
from incidents.api import views

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(team_lead, communicator, lead2):
    public = IncidentFactory(lead=lead2)
    member = IncidentFactory(confidential=True, lead=lead2)
    MembershipFactory(incident=member, user=communicator, role=role("communications"))
    led = IncidentFactory(confidential=True, lead=team_lead)
    team_led = IncidentFactory(confidential=True, lead=lead2)
    MembershipFactory(incident=team_led, user=team_lead, role=role("lead"))
    nobody = IncidentFactory(confidential=True, lead=None)
    return [public, member, led, team_led, nobody]


@pytest.fixture
def everyone(personas, admin_user, lead2, comms2):
    return [*personas.values(), admin_user, lead2, comms2, UserFactory(is_active=False)]


def answers(api, user, incident, path_suffix=""):
    response = api(user).get(f"/api/v1/incidents/{incident.reference}/{path_suffix}")
    return response.status_code, response.content


def test_every_persona_gets_the_same_answer_from_both_paths(api, everyone, incidents, monkeypatch):
    taken = []
    compiled = dict(views.DETAIL_LOOKUPS)
    for scope, lookup in compiled.items():
        monkeypatch.setitem(views.DETAIL_LOOKUPS, scope, _Spy(lookup, scope, taken))
    fast = {(u.pk, i.pk): answers(api, u, i) for u in everyone for i in incidents}
    assert {"all", "rule"} <= set(taken)  # the compiled path answered for a superuser and for the rule
    monkeypatch.setattr(views, "DETAIL_LOOKUPS", {})
    slow = {(u.pk, i.pk): answers(api, u, i) for u in everyone for i in incidents}
    assert fast == slow
    statuses = {status for status, _ in fast.values()}
    assert {200, 404} <= statuses  # both kinds of answer were compared, not one


def test_the_statement_is_the_querysets(api, communicator, admin_user, incidents, monkeypatch):
    for user in (communicator, admin_user):
        incident = incidents[1]
        fast = statements(api, user, incident)
        monkeypatch.setattr(views, "DETAIL_LOOKUPS", {})
        slow = statements(api, user, incident)
        monkeypatch.undo()
        # get_object_or_404's .get() adds LIMIT 21 (to report several rows); the reference is unique.
        assert fast == [re.sub(r" LIMIT 21$", "", sql) for sql in slow]


def statements(api, user, incident) -> list[str]:
    client = api(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/api/v1/incidents/{incident.reference}/").status_code == 200
    return [q["sql"] for q in ctx.captured_queries if 'FROM "incidents_incident"' in q["sql"]][:1]


def test_a_filter_named_on_a_detail_takes_django_filters_path(api, communicator, incidents, monkeypatch):
    taken = []
    for scope, lookup in dict(views.DETAIL_LOOKUPS).items():
        monkeypatch.setitem(views.DETAIL_LOOKUPS, scope, _Spy(lookup, scope, taken))
    public = incidents[0]
    assert answers(api, communicator, public)[0] == 200 and taken == ["rule"]
    assert answers(api, communicator, public, f"?status={public.status}")[0] == 200
    assert answers(api, communicator, public, "?status=closed")[0] == 404  # filtered out, as before
    assert taken == ["rule"]  # neither filtered request was compiled


class _Spy:
    def __init__(self, lookup, scope, taken):
        self.lookup, self.scope, self.taken = lookup, scope, taken

    def first(self, **kwargs):
        self.taken.append(self.scope)
        return self.lookup.first(**kwargs)
