"""Crisis metrics against hand-checked fixtures, played through the services with time-machine.

Hand calculation (percentiles by linear interpolation between closest ranks, rank = (n − 1)·p):

    incident  sev  month    ack   first public  resolve  legal review (submit → approve)
    A         2    2026-03  10    60            300      20  (30 → 50)
    B         2    2026-03  20    —             600      —
    C         2    2026-03  40    120           —        40  (70 → 110)
    D         3    2026-04  5     30            120      15  (10 → 25)
    E (exercise, excluded) 2026-03  1  —  60

    severity 2 ack [10, 20, 40]: median 20; p90 rank 1.8 → 20 + 0.8·20 = 36
    severity 2 first public [60, 120]: median 90; p90 rank 0.9 → 60 + 0.9·60 = 114
    severity 2 resolve [300, 600]: median 450; p90 → 300 + 0.9·300 = 570
    severity 2 legal [20, 40]: median 30; p90 → 20 + 0.9·20 = 38
    all ack [5, 10, 20, 40]: median (10 + 20) / 2 = 15; p90 rank 2.7 → 20 + 0.7·20 = 34
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from postmortems import metrics
from postmortems.metrics import percentile
from postmortems.tests.helpers import T0, at, minutes, play_crisis

MIN = 60.0


def test_percentile_method():
    assert percentile([], 0.5) is None
    assert percentile([7], 0.9) == 7
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 40], 0.9) == pytest.approx(36)
    assert percentile([40, 10, 20], 0.5) == 20  # order does not matter


@pytest.fixture
def crises(team_lead, communicator, legal):
    people = {"lead": team_lead, "communicator": communicator, "legal": legal}
    return {
        "A": play_crisis(**people, detected=T0, ack=10, submit=30, approve=50, publish=60, resolve=300),
        "B": play_crisis(**people, detected=T0 + timedelta(days=1), ack=20, resolve=600),
        "C": play_crisis(**people, detected=T0 + timedelta(days=2), ack=40, submit=70, approve=110, publish=120),
        "D": play_crisis(
            **people,
            detected=datetime(2026, 4, 6, 14, 0, tzinfo=UTC),
            severity=3,
            ack=5,
            submit=10,
            approve=25,
            publish=30,
            resolve=120,
        ),
        "E": play_crisis(**people, detected=T0 + timedelta(days=3), ack=1, resolve=60, is_exercise=True),
    }


def _stat(group, name):
    stat = group.stats[name]
    return (
        stat.count,
        None if stat.median is None else round(stat.median / MIN, 6),
        None if stat.p90 is None else round(stat.p90 / MIN, 6),
    )


@pytest.mark.django_db
def test_incident_metrics_of_one_crisis(crises):
    values = metrics.incident_metrics(crises["A"])
    assert values == {
        "detect": None,
        "acknowledge": minutes(10),
        "first_public_response": minutes(60),
        "resolve": minutes(300),
        "legal_review": minutes(20),
    }
    # Time to detect needs the first post's time.
    with_first_seen = metrics.incident_metrics(crises["A"], first_seen_at=T0 - minutes(45))
    assert with_first_seen["detect"] == minutes(45)


@pytest.mark.django_db
def test_missing_clocks_are_none(crises):
    values = metrics.incident_metrics(crises["B"])
    assert values["first_public_response"] is None
    assert values["legal_review"] is None
    assert metrics.incident_metrics(crises["C"])["resolve"] is None


@pytest.mark.django_db
def test_dashboard_by_severity_matches_the_hand_calculation(crises, team_lead):
    with at(datetime(2026, 5, 1, tzinfo=UTC)):
        data = metrics.dashboard(team_lead)
    by_severity = {group.key: group for group in data["by_severity"]}
    assert set(by_severity) == {"2", "3"}
    sev2 = by_severity["2"]
    assert sev2.incidents == 3  # the exercise E is not counted
    assert _stat(sev2, "acknowledge") == (3, 20, 36)
    assert _stat(sev2, "first_public_response") == (2, 90, 114)
    assert _stat(sev2, "resolve") == (2, 450, 570)
    assert _stat(sev2, "legal_review") == (2, 30, 38)
    sev3 = by_severity["3"]
    assert _stat(sev3, "acknowledge") == (1, 5, 5)
    assert _stat(sev3, "resolve") == (1, 120, 120)
    assert _stat(data["overall"], "acknowledge") == (4, 15, 34)


@pytest.mark.django_db
def test_dashboard_by_month(crises, team_lead):
    data = metrics.dashboard(team_lead)
    months = {group.key: group for group in data["by_month"]}
    assert list(months) == ["2026-03", "2026-04"]
    assert months["2026-03"].incidents == 3
    assert _stat(months["2026-03"], "resolve") == (2, 450, 570)
    assert _stat(months["2026-04"], "first_public_response") == (1, 30, 30)
    assert metrics.dashboard(team_lead, year=2025)["overall"].incidents == 0


@pytest.mark.django_db
def test_dashboard_with_no_incident_has_no_median(team_lead):
    data = metrics.dashboard(team_lead)
    assert data["overall"].incidents == 0
    assert data["overall"].stats["resolve"].median is None
    assert metrics.format_duration(None) == "n/a"


@pytest.mark.django_db
def test_confidential_incidents_count_only_for_those_who_see_them(team_lead, communicator, legal, observer):
    play_crisis(lead=team_lead, communicator=communicator, legal=legal, detected=T0, ack=10, confidential=True)
    assert metrics.dashboard(team_lead)["overall"].incidents == 1  # the lead is on its team
    # Someone allowed to read metrics but not on the crisis team does not count it.
    observer.user_permissions.add(Permission.objects.get(codename="view_crisis_metrics"))
    observer = type(observer).objects.get(pk=observer.pk)  # fresh permission cache
    assert metrics.dashboard(observer)["overall"].incidents == 0


@pytest.mark.django_db
def test_metrics_permission_is_checked_by_the_dashboard_itself(observer, communicator, team_lead):
    """One rule for the browser page and the API: the selector refuses anyone without view_crisis_metrics."""
    for user in (observer, communicator):
        with pytest.raises(PermissionDenied):
            metrics.dashboard(user)
    assert metrics.can_view_metrics(team_lead)
    assert not metrics.can_view_metrics(observer)


def test_format_duration():
    assert metrics.format_duration(12 * MIN) == "12 min"
    assert metrics.format_duration(125 * MIN) == "2 h 05 min"
    assert metrics.format_duration(timedelta(days=3, hours=4)) == "3 d 4 h"
