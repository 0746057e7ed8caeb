"""The response clocks in SQL (``clocks.with_attention``) say what the Python clocks say, and the dashboard built on them.

The dashboard sorts and counts every active incident by ``with_attention`` and draws each card's
clocks with ``response_boards``: if the two disagreed, a card would show "overdue" that the summary
does not count, or an overdue incident would sit below the fold. The grid below crosses every clock
state (not acknowledged, acknowledged; no public response, responded; no further publication, a
recent one, an old one) with moments on both sides of each threshold, on SQLite and PostgreSQL.
"""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from crisisdesk.review.tests.helpers import make_statement
from crisisdesk.testing.factories import IncidentFactory
from incidents.models import Incident, Status
from incidents.response import clocks
from incidents.response.models import ResponseTarget
from incidents.statements.models import Statement

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def expected(board) -> int:
    if board.overdue:
        return clocks.OVERDUE
    return clocks.DUE_SOON if board.due_soon else clocks.ON_TRACK


def attention_in_sql(now) -> dict[int, int]:
    queryset = clocks.with_attention(
        clocks.with_last_publication(Incident.objects.active()), targets=clocks.targets_by_severity(), now=now
    )
    return dict(queryset.values_list("pk", clocks.ATTENTION))


def attention_in_python(now) -> dict[int, int]:
    boards = clocks.response_boards(clocks.with_last_publication(Incident.objects.active()), now=now)
    return {pk: expected(board) for pk, board in boards.items()}


@pytest.fixture
def grid(communicator):
    # Severity 3 keeps its cadence window; severity 2 loses it (updates due for as long as it lasts);
    # severity 4 expects no updates at all.
    ResponseTarget.objects.filter(severity=2).update(update_window_minutes=None)
    ResponseTarget.objects.filter(severity=4).update(update_interval_minutes=None)
    incidents = []
    for severity, acknowledged, responded, published in itertools.product(
        (1, 2, 3, 4), (None, 5), (None, 20), (None, 40, 200, 400)
    ):
        if published is not None and responded is None:
            continue  # a publication is a public response
        incident = IncidentFactory(
            severity=severity,
            detected_at=T0,
            status=Status.INVESTIGATING if acknowledged else Status.DETECTED,
            acknowledged_at=T0 + acknowledged * MINUTE if acknowledged else None,
            first_public_response_at=T0 + responded * MINUTE if responded else None,
        )
        if published:
            statement = make_statement(author=communicator, incident=incident)
            Statement.objects.filter(pk=statement.pk).update(published_at=T0 + published * MINUTE)
        incidents.append(incident)
    return incidents


def test_sql_attention_matches_the_python_clocks_at_every_threshold(grid):
    targets = clocks.targets_by_severity()
    # Each target's due-soon point and due point, a minute either side, and far beyond every window.
    moments = {T0, T0 + 3 * 24 * 60 * MINUTE}
    for target in targets.values():
        for minutes in (target.acknowledge_minutes, target.first_response_minutes):
            for point in (minutes * clocks.due_soon_fraction(), minutes):
                moments |= {T0 + point * MINUTE + offset for offset in (-MINUTE, timedelta(0), MINUTE)}
        for start in (20, 40, 200, 400):  # each update cadence's start
            interval = target.update_interval_minutes or 0
            for point in (interval * clocks.due_soon_fraction(), interval):
                moments |= {T0 + (start + point) * MINUTE + offset for offset in (-MINUTE, timedelta(0), MINUTE)}
    seen = set()
    for now in sorted(moments):
        in_python = attention_in_python(now)
        assert attention_in_sql(now) == in_python, now
        seen |= set(in_python.values())
    assert seen == {clocks.OVERDUE, clocks.DUE_SOON, clocks.ON_TRACK}


def test_an_incident_of_a_severity_without_target_never_needs_attention(db):
    incident = IncidentFactory(severity=2, detected_at=T0)
    ResponseTarget.objects.filter(severity=2).delete()
    now = T0 + timedelta(days=2)
    assert attention_in_sql(now) == attention_in_python(now) == {incident.pk: clocks.ON_TRACK}


# --- the dashboard --------------------------------------------------------------------------------


def test_dashboard_shows_the_most_urgent_cards_and_counts_all(client_for, team_lead, monkeypatch):
    from incidents.views import DashboardView

    monkeypatch.setattr(DashboardView, "cards_per_severity", 3)
    # Five severity-1 incidents detected an hour apart (the oldest overdue, the newest on track), one
    # of them acknowledged and answered already; one severity-4 incident (on track after 4 hours); one resolved incident.
    sev1 = [
        IncidentFactory(severity=1, detected_at=T0 + hours * 60 * MINUTE, title=f"Sev1 {hours}") for hours in range(5)
    ]
    Incident.objects.filter(pk=sev1[0].pk).update(
        status=Status.RESPONDING, acknowledged_at=T0, first_public_response_at=T0 + MINUTE
    )
    low = IncidentFactory(severity=4, detected_at=T0, title="Low one")
    IncidentFactory(
        severity=1, detected_at=T0, title="Done one", status=Status.RESOLVED, acknowledged_at=T0, resolved_at=T0
    )
    now = T0 + (4 * 60 + 5) * MINUTE  # five minutes after the newest was detected
    with time_machine.travel(now, tick=False):
        response = client_for(team_lead).get(reverse("dashboard"))
    html = response.content.decode()
    groups = {group["severity"]: group for group in response.context["groups"]}
    boards = response.context["boards"]
    shown = [incident.title for incident in groups[1]["incidents"]]
    # Overdue first, the newest of them first; the answered one (update overdue) is among them.
    assert all(boards[incident.pk].overdue for incident in groups[1]["incidents"])
    assert shown == ["Sev1 3", "Sev1 2", "Sev1 1"]
    assert (groups[1]["total"], groups[1]["more"]) == (5, 2)
    assert [incident.title for incident in groups[4]["incidents"]] == [low.title]
    assert (groups[2]["total"], groups[2]["more"]) == (0, 0)
    assert response.context["active_count"] == 6
    # The summary counts every overdue incident, also those past the column's cards.
    python_overdue = sum(
        board.overdue
        for board in clocks.response_boards(clocks.with_last_publication(Incident.objects.active()), now=now).values()
    )
    assert response.context["overdue"] == python_overdue == 4
    assert "4 incidents have an overdue response." in html
    assert "Done one" not in html and "Sev1 4" not in html
    assert f"{reverse('incidents:list')}?severity=1&amp;active=true" in html
    assert "2 more in the incident list" in html


def test_dashboard_link_lists_exactly_the_cards_column(client_for, team_lead, monkeypatch):
    from incidents.views import DashboardView

    monkeypatch.setattr(DashboardView, "cards_per_severity", 1)
    IncidentFactory.create_batch(3, severity=2)
    IncidentFactory(severity=3)
    IncidentFactory(severity=2, status=Status.RESOLVED, acknowledged_at=T0, resolved_at=T0)
    client = client_for(team_lead)
    group = client.get(reverse("dashboard")).context["groups"][1]
    listed = client.get(f"{reverse('incidents:list')}?{group['list_query']}").context["incidents"]
    assert group["total"] == len(listed) == 3


def test_dashboard_hides_confidential_incidents_from_the_counts(client_for, communicator, team_lead):
    IncidentFactory(severity=1, title="Open one")
    IncidentFactory(severity=1, title="Secret one", confidential=True, lead=team_lead)
    response = client_for(communicator).get(reverse("dashboard"))
    groups = {group["severity"]: group for group in response.context["groups"]}
    assert [incident.title for incident in groups[1]["incidents"]] == ["Open one"]
    assert groups[1]["total"] == response.context["active_count"] == 1
    assert "Secret one" not in response.content.decode()
