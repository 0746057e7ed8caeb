"""The measured impact of a statement: exact figures per window, edges, partial windows, exercises, access."""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crisisdesk.review.models import ReviewStatus
from crisisdesk.review.tests.helpers import statement_in
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, role
from incidents.impact import incident_impact_markers, incident_measured_impact, statement_impact
from incidents.listening.models import Mention

pytestmark = pytest.mark.django_db

T = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
_ids = count(1)


def mention(incident, at, *, audience=0, label="neutral", score=0.0):
    """One mention linked to ``incident``; ``score=None`` is an unscored mention."""
    return Mention.objects.create(
        platform="x",
        external_id=str(next(_ids)),
        text="Acme",
        posted_at=at,
        incident=incident,
        audience=audience,
        sentiment=score,
        sentiment_label=label,
    )


def published_at(when, *, incident, communicator, legal):
    with time_machine.travel(when, tick=False):
        return statement_in(
            ReviewStatus.PUBLISHED,
            author=communicator,
            reviewer=legal,
            publisher=communicator,
            withdrawer=None,
            incident=incident,
        )


def window(impact, hours):
    return next(w for w in impact["windows"] if w["hours"] == hours)


@pytest.fixture
def replay(incident, communicator, legal):
    """A replayed crisis around a statement published at T."""
    statement = published_at(T, incident=incident, communicator=communicator, legal=legal)
    mention(incident, T - 2 * H, audience=100, label="negative", score=-0.8)  # first instant of before-2h: counts
    mention(incident, T - 2 * H - timedelta(seconds=1), audience=7)  # just outside before-2h, inside 6h
    mention(incident, T - timedelta(seconds=1), audience=10, label="negative", score=-0.5)
    mention(incident, T - 30 * timedelta(minutes=1), audience=5, score=None)  # unscored
    mention(incident, T, audience=1000, label="positive", score=0.6)  # exactly t: after
    mention(incident, T + 2 * H - timedelta(seconds=1), audience=1, label="negative", score=-0.2)
    mention(incident, T + 2 * H, audience=50)  # first instant after the 2 h window: in 6 h
    mention(incident, T + 23 * H, audience=3, label="negative", score=-0.9)
    mention(incident, T - 25 * H, audience=999)  # outside every window
    mention(IncidentFactory(), T, audience=5000)  # another incident's mention never counts
    Mention.objects.create(platform="x", external_id="unlinked", text="Acme", posted_at=T)  # not linked
    return statement


def test_exact_figures_in_each_window_with_edges(replay):
    impact = statement_impact(statement=replay, now=T + 48 * H)
    two, six, day = window(impact, 2), window(impact, 6), window(impact, 24)
    assert (two["before"]["volume"], two["before"]["reach"]) == (3, 115)
    assert (two["before"]["negative"], two["before"]["scored"], two["before"]["unscored"]) == (2, 2, 1)
    assert two["before"]["negative_share"] == 1.0
    assert (two["after"]["volume"], two["after"]["reach"], two["after"]["negative"], two["after"]["scored"]) == (
        2,
        1001,
        1,
        2,
    )
    assert two["after"]["negative_share"] == 0.5
    assert two["after"]["partial"] is False
    assert (six["before"]["volume"], six["before"]["reach"], six["before"]["scored"]) == (4, 122, 3)
    assert (six["after"]["volume"], six["after"]["reach"], six["after"]["scored"]) == (3, 1051, 3)
    assert six["after"]["negative_share"] == round(1 / 3, 4)
    assert (day["before"]["volume"], day["after"]["volume"], day["after"]["reach"]) == (4, 4, 1054)
    assert day["after"]["negative_share"] == 0.5


def test_an_after_window_not_yet_elapsed_is_partial_so_far(replay):
    impact = statement_impact(statement=replay, now=T + 90 * timedelta(minutes=1))
    two, day = window(impact, 2), window(impact, 24)
    assert two["after"]["partial"] is True and two["after"]["elapsed_minutes"] == 90
    assert two["after"]["end"] == T + 90 * timedelta(minutes=1)
    # Only what was posted by now: the mention at T (the one at T + 2h − 1s is "future" here).
    assert (two["after"]["volume"], two["after"]["reach"]) == (1, 1000)
    assert day["after"]["partial"] is True and day["after"]["volume"] == 1
    assert two["before"]["volume"] == 3  # the before-window is always complete


def test_no_scored_mention_gives_no_share(incident, communicator, legal):
    statement = published_at(T, incident=incident, communicator=communicator, legal=legal)
    mention(incident, T + H, score=None, audience=4)
    after = window(statement_impact(statement=statement, now=T + 3 * H), 2)["after"]
    assert (after["volume"], after["scored"], after["unscored"], after["negative_share"]) == (1, 0, 1, None)


def test_exercise_statement_has_no_impact(communicator, legal):
    drill = IncidentFactory(is_exercise=True)
    statement = published_at(T, incident=drill, communicator=communicator, legal=legal)
    mention(drill, T + H, audience=10)
    assert statement_impact(statement=statement, now=T + 3 * H) is None
    assert incident_impact_markers(incident=drill, now=T + 3 * H) == []
    assert incident_measured_impact(incident=drill) is None


def test_unpublished_statement_has_no_impact(incident, communicator, legal):
    statement = statement_in(
        ReviewStatus.APPROVED, author=communicator, reviewer=legal, publisher=None, withdrawer=None, incident=incident
    )
    assert statement_impact(statement=statement) is None


def test_all_windows_are_one_query(replay):
    replay.incident  # noqa: B018 -- loaded as the views load it (select_related)
    with CaptureQueriesContext(connection) as ctx:
        statement_impact(statement=replay, now=T + 48 * H)
    assert len(ctx.captured_queries) == 1


def test_war_room_markers_are_one_query_for_any_number_of_statements(incident, communicator, legal):
    for hour in (0, 3, 6):
        published_at(T + hour * H, incident=incident, communicator=communicator, legal=legal)
    mention(incident, T - timedelta(minutes=30))
    mention(incident, T + timedelta(minutes=30))
    mention(incident, T + 4 * H)
    with CaptureQueriesContext(connection) as ctx:
        markers = incident_impact_markers(incident=incident, now=T + 7 * H)
    assert len(ctx.captured_queries) == 2  # the statements, then one aggregate
    assert [(m["before"], m["after"], m["partial"]) for m in markers] == [(1, 1, False), (0, 1, False), (1, 0, True)]


def test_measured_impact_for_the_review(incident):
    mention(incident, T, audience=10, label="negative", score=-0.5)
    mention(incident, T + timedelta(minutes=10), audience=20, label="negative", score=-0.5)
    mention(incident, T + timedelta(minutes=59), audience=30, label="positive", score=0.5)
    mention(incident, T + 2 * H, audience=40, score=None)
    assert incident_measured_impact(incident=incident) == {
        "reach": 100,
        "peak_mentions": 3,
        "sentiment": "negative",
        "scored": 3,
    }


def test_api_gives_the_figures_and_hides_confidential_ones(api, confidential_incident, communicator, legal, team_lead):
    MembershipFactory(incident=confidential_incident, user=legal, role=role("legal"))
    statement = published_at(T, incident=confidential_incident, communicator=team_lead, legal=legal)
    mention(confidential_incident, T + H, audience=9)
    url = f"/api/v1/statements/{statement.pk}/impact/"
    assert api("outsider").get(url).status_code == 404
    assert api("communicator").get(url).status_code == 404  # not on the confidential team
    with time_machine.travel(T + 3 * H, tick=False):
        response = api("team_lead").get(url)
    assert response.status_code == 200
    two = response.json()["impact"]["windows"][0]
    assert two["hours"] == 2 and two["after"]["volume"] == 1 and two["after"]["reach"] == 9


def test_statement_page_shows_the_impact_and_outsider_gets_404(client_for, replay, communicator, outsider):
    url = f"/incidents/{replay.incident.reference}/statements/{replay.pk}/"
    assert client_for(outsider).get(url).status_code == 404
    with time_machine.travel(T + 90 * timedelta(minutes=1), tick=False):
        page = client_for(communicator).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="impact"' in html
    assert "so far, 90 min elapsed" in html
    assert "Counts the mentions linked to this incident." in html


def test_war_room_chart_lists_before_and_after_per_statement(client_for, replay, communicator, outsider):
    url = f"/mentions/incident/{replay.incident.reference}/chart/"
    assert client_for(outsider).get(url).status_code == 404
    with time_machine.travel(T + 48 * H, tick=False):
        html = client_for(communicator).get(url).content.decode()
    assert 'id="impact-markers"' in html
    assert "Statements published: mentions 2 h before and after" in html


def test_api_refuses_integration_keys_like_the_statements_api(incident, communicator, legal, admin_user):
    from rest_framework.test import APIClient

    from crisisdesk.apikeys import services as apikey_services

    statement = published_at(T, incident=incident, communicator=communicator, legal=legal)
    _, raw = apikey_services.apikey_create(actor=admin_user, name="Dash", scopes=["read", "write"], user=communicator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = client.get(f"/api/v1/statements/{statement.pk}/impact/")
    assert response.status_code == 403
    assert response.json() == {"detail": "API keys are not accepted on this endpoint."}
