"""The API detail and the list's first page read from SQL compiled once per visibility scope (``crisisdesk.compiled``).

These tests hold the compiled paths to the queryset paths they replace: the same statement, and the
same answer (status and body) for every persona on every kind of incident, so that a confidential
incident stays a 404, and out of the list, for exactly the people it was hidden from.
"""

import json
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


def test_the_team_flags_describe_the_requesting_user(communicator, incidents):
    # On PostgreSQL the flags' user id is a wrapped parameter (psycopg's Int8): it must be filled in too.
    found = views.DETAIL_LOOKUPS["rule"].first(user=communicator.pk, reference=incidents[1].reference)
    assert (found.team_flags_for, found.viewer_on_team, found.viewer_leads_team) == (communicator.pk, True, False)


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


class _ListSpy:
    def __init__(self, taken):
        self.taken = taken
        self.real = views.first_page_lookup

    def __call__(self, scope, paginator):
        lookup = self.real(scope, paginator)
        self.taken.append((scope, paginator.page_size))
        return lookup


def listing(api, user, query=""):
    response = api(user).get(f"/api/v1/incidents/{query}")
    return response.status_code, response.content


def test_the_first_page_is_the_same_from_both_paths_for_everyone(api, everyone, incidents, monkeypatch):
    IncidentFactory.create_batch(3)  # more than one page of 2
    queries = ["", "?page_size=1", "?page_size=2", "?page_size=500"]
    taken = []
    monkeypatch.setattr(views, "first_page_lookup", _ListSpy(taken))
    fast = {(u.pk, q): listing(api, u, q) for u in everyone for q in queries}
    assert {scope for scope, _ in taken} == {"all", "rule"} and {size for _, size in taken} == {50, 1, 2, 500}
    monkeypatch.setattr(views, "first_page_lookup", lambda scope, paginator: None)
    slow = {(u.pk, q): listing(api, u, q) for u in everyone for q in queries}
    assert fast == slow
    # Every page's worth was compared: a superuser's full list, someone's list without the confidential ones.
    counts = {len(json.loads(body)["results"]) for status, body in fast.values() if status == 200}
    assert {1, 2} <= counts and len(counts) >= 4


def test_the_next_pages_and_filters_take_the_querysets_path(api, communicator, incidents, monkeypatch):
    IncidentFactory.create_batch(3)
    taken = []
    monkeypatch.setattr(views, "first_page_lookup", _ListSpy(taken))
    client = api(communicator)
    first = client.get("/api/v1/incidents/?page_size=2").json()
    assert taken == [("rule", 2)]
    second = client.get(first["next"]).json()
    assert client.get("/api/v1/incidents/?status=closed").status_code == 200
    assert client.get("/api/v1/incidents/?cursor=forged").status_code == 404
    assert taken == [("rule", 2)]  # neither the next page, the filter nor the forged cursor was compiled
    seen = [row["reference"] for row in first["results"] + second["results"]]
    assert len(seen) == len(set(seen)) == 4  # the pages join up: no row repeated or skipped
    assert client.get(second["previous"]).json()["results"] == first["results"]


def test_the_first_pages_statement_is_the_querysets(api, communicator, admin_user, incidents, monkeypatch):
    for user in (communicator, admin_user):
        fast = list_statements(api, user)
        monkeypatch.setattr(views, "first_page_lookup", lambda scope, paginator: None)
        slow = list_statements(api, user)
        monkeypatch.undo()
        assert fast == slow and len(fast) == 1


def test_the_number_of_compiled_pages_is_bounded(api, communicator, incidents, monkeypatch):
    monkeypatch.setattr(views, "_FIRST_PAGES", {})
    monkeypatch.setattr(views, "_FIRST_PAGES_MAX", 2)
    for size in (1, 2, 3, 4):
        assert listing(api, communicator, f"?page_size={size}")[0] == 200
    assert len(views._FIRST_PAGES) == 2


def list_statements(api, user) -> list[str]:
    client = api(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/incidents/?page_size=3").status_code == 200
    return [q["sql"] for q in ctx.captured_queries if 'FROM "incidents_incident"' in q["sql"]]
