"""SQL per hot page, per persona: the browser incident list and the war room (issue 15; docs/performance.md).

Each count is pinned for every persona, and stays flat from 1 to 50 incidents and from 20 to
2,000 timeline entries. The first request of a client is made before counting: it stamps the
session's sign-in time once (crisisdesk.middleware), which no later request repeats.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisisdesk.roles import COMMUNICATOR, TEAM_LEAD
from crisisdesk.sso.backends import LocalModelBackend
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, TimelineEntryFactory, UserFactory, role
from incidents.models import Incident, TimelineEntry, TimelineKind
from incidents.response.clocks import response_board, with_response_target
from incidents.selectors import TIMELINE_WINDOW

pytestmark = pytest.mark.django_db

# The most SQL each page may cost, per persona (the targets: list ≤ 6, war room ≤ 10).
LIST_BUDGET = {"communicator": 5, "legal": 5, "team_lead": 5, "observer": 5, "superuser": 5}
# A team lead and a superuser also get the playbooks they may activate; the team forms load on demand.
WAR_ROOM_BUDGET = {"communicator": 9, "legal": 9, "observer": 9, "team_lead": 10, "superuser": 10}
PERSONAS = sorted(LIST_BUDGET)


@pytest.fixture
def everyone(personas, admin_user):
    return {**personas, "superuser": admin_user}


def queries_of(client, path) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return [query["sql"] for query in ctx.captured_queries]


def signed_in(client, user, path):
    client.force_login(user)
    queries_of(client, path)  # the one-off sign-in stamp
    return client


@pytest.mark.parametrize("persona", PERSONAS)
def test_incident_list_sql_is_within_budget_and_flat_from_1_to_50_incidents(client, everyone, team_lead, persona):
    path = reverse("incidents:list")
    IncidentFactory(lead=team_lead)
    client = signed_in(client, everyone[persona], path)
    with_one = queries_of(client, path)
    lead = UserFactory(role=TEAM_LEAD)
    IncidentFactory.create_batch(49, lead=lead)
    hidden = IncidentFactory(confidential=True)
    MembershipFactory(incident=hidden, user=everyone["communicator"])
    with_fifty = queries_of(client, path)
    assert len(with_one) == len(with_fifty) <= LIST_BUDGET[persona]
    # No COUNT(*) over every visible incident: the page's rows carry a count capped at 1,001.
    assert not [sql for sql in with_fifty if sql.startswith('SELECT COUNT(*) AS "__count" FROM "incidents_incident"')]
    assert [sql for sql in with_fifty if 'FROM "incidents_incident"' in sql and "LIMIT 1001" in sql]


def _war_room_incident(team_lead, communicator, *, entries: int):
    incident = IncidentFactory(lead=team_lead)
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    MembershipFactory(incident=incident, user=communicator, role=role("communications"))
    TimelineEntry.objects.bulk_create(
        TimelineEntryFactory.build(incident=incident, author=communicator, kind=TimelineKind.NOTE, body=f"note {n}")
        for n in range(entries)
    )
    return incident


@pytest.mark.parametrize("persona", PERSONAS)
def test_war_room_sql_is_within_budget_and_flat_from_20_to_2000_timeline_entries(
    client, everyone, team_lead, communicator, persona
):
    small = _war_room_incident(team_lead, communicator, entries=20)
    large = _war_room_incident(team_lead, communicator, entries=2000)
    client = signed_in(client, everyone[persona], small.get_absolute_url())
    with_twenty = queries_of(client, small.get_absolute_url())
    with_two_thousand = queries_of(client, large.get_absolute_url())
    assert len(with_twenty) == len(with_two_thousand) <= WAR_ROOM_BUDGET[persona]


def test_war_room_shows_the_newest_window_and_pages_back_by_keyset(client_for, communicator, team_lead):
    # Every entry in one instant: the cursor must still see each exactly once (ties broken by id).
    with time_machine.travel(datetime(2026, 3, 1, 9, 30, tzinfo=UTC), tick=False):
        incident = _war_room_incident(team_lead, communicator, entries=2 * TIMELINE_WINDOW + 7)
    client = client_for(communicator)
    seen, path, pages = [], incident.get_absolute_url(), 0
    while path:
        response = client.get(path)
        assert response.status_code == 200
        window = response.context["timeline"]
        assert len(window.entries) <= TIMELINE_WINDOW
        seen += [entry.pk for entry in window.entries]
        pages += 1
        path = f"{incident.get_absolute_url()}?before={window.older_cursor}" if window.older_cursor else None
        if window.older_cursor:
            assert "Older entries" in response.content.decode()
    everything = list(incident.timeline.order_by("-created_at", "-id").values_list("pk", flat=True))
    assert seen == everything
    assert pages == 3


def test_an_older_window_links_back_to_the_newest_and_a_bad_cursor_is_400(client_for, communicator, team_lead):
    incident = _war_room_incident(team_lead, communicator, entries=TIMELINE_WINDOW + 1)
    client = client_for(communicator)
    newest = client.get(incident.get_absolute_url()).context["timeline"]
    older = client.get(f"{incident.get_absolute_url()}?before={newest.older_cursor}")
    assert [entry.body for entry in older.context["timeline"].entries] == ["note 0"]
    assert "Newest entries" in older.content.decode()
    assert older.context["timeline"].older_cursor is None
    assert client.get(f"{incident.get_absolute_url()}?before=x1").status_code == 400


def test_a_cursor_from_another_incident_shows_nothing_of_either(client_for, communicator, team_lead):
    incident = _war_room_incident(team_lead, communicator, entries=3)
    other = _war_room_incident(team_lead, communicator, entries=3)
    cursor = other.timeline.order_by("-id").first().pk
    response = client_for(communicator).get(f"{incident.get_absolute_url()}?before={cursor}")
    assert response.status_code == 200
    assert response.context["timeline"].entries == []
    assert "No older entries." in response.content.decode()


def test_a_confidential_war_room_stays_404_for_outsiders_with_a_cursor(client_for, observer, confidential_incident):
    response = client_for(observer).get(f"{confidential_incident.get_absolute_url()}?before=1")
    assert response.status_code == 404


# --- the signed-in user and their permissions in one query ------------------------------------------


def test_user_and_permissions_load_in_one_query_and_match_djangos_backend(communicator):
    direct = Permission.objects.get(content_type__app_label="audit", codename="view_auditrecord")
    assert "audit.view_auditrecord" not in ModelBackend().get_group_permissions(communicator)
    communicator.user_permissions.add(direct)
    with CaptureQueriesContext(connection) as ctx:
        user = LocalModelBackend().get_user(communicator.pk)
        assert user.has_perm("audit.view_auditrecord")  # the direct one
        assert user.has_perm("incidents.add_statement")  # the Communicator group's
        assert not user.has_perm("incidents.close_incident")
    assert len(ctx.captured_queries) == 1
    fresh = type(communicator).objects.get(pk=communicator.pk)
    assert user.get_all_permissions() == ModelBackend().get_all_permissions(fresh)


def test_inactive_and_superusers_keep_djangos_answers(communicator, admin_user):
    communicator.is_active = False
    communicator.save(update_fields=["is_active"])
    assert LocalModelBackend().get_user(communicator.pk) is None
    admin = LocalModelBackend().get_user(admin_user.pk)
    assert admin.has_perm("incidents.close_incident")
    assert admin.get_all_permissions() == ModelBackend().get_all_permissions(type(admin).objects.get(pk=admin.pk))


def test_a_group_change_shows_on_the_next_request(client, communicator, incident):
    """Nothing is cached across requests: a role taken away is gone at once."""
    client.force_login(communicator)
    assert client.get(reverse("incidents:create")).status_code == 200
    communicator.groups.clear()
    assert client.get(reverse("incidents:create")).status_code == 403
    communicator.groups.add(*type(communicator).groups.field.related_model.objects.filter(name=COMMUNICATOR))
    assert client.get(reverse("incidents:create")).status_code == 200


def test_war_room_clocks_read_with_the_incident_match_the_dashboards(team_lead):
    incident = IncidentFactory(lead=team_lead, severity=1)
    plain = response_board(Incident.objects.get(pk=incident.pk))
    annotated_incident = with_response_target(Incident.objects.all()).get(pk=incident.pk)
    with CaptureQueriesContext(connection) as ctx:
        annotated = response_board(annotated_incident)
    assert [(c.code, c.target, c.met) for c in annotated.clocks] == [(c.code, c.target, c.met) for c in plain.clocks]
    assert (
        annotated.target.pk == plain.target.pk
        and annotated.target.acknowledge_minutes == plain.target.acknowledge_minutes
    )
    # Only the last published statement is read (the war room has it prefetched): the target came along.
    assert len(ctx.captured_queries) == 1
