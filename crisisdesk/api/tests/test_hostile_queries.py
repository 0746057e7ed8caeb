"""Hostile query parameters on the lists (API and browser): a 400 or an empty answer, never a 500."""

import django_filters
import pytest
from django.urls import get_resolver

from crisisdesk.filters import StrictFilterSet

REFUSED = [
    "/api/v1/incidents/?detected_after=9999-12-31T23:59:59-23:00",
    "/api/v1/incidents/?detected_before=0001-01-01T00:00:00%2B14:00",
    "/api/v1/incidents/?detected_after=1900-01-01T00:00:00Z",
    "/api/v1/incidents/?lead=99999999999999999999",
    "/api/v1/spike-rules/?watch_term=99999999999999999999",
    "/api/v1/alerts/?fired_after=9999-12-31T23:59:59-23:00",
    "/api/v1/incidents/?q=%00",
]
HARMLESS = [
    "/api/v1/incidents/?lead=1e400",
    "/api/v1/incidents/?severity=99999999999999999999",
    "/api/v1/incidents/?q=%ED%A0%80",
    "/api/v1/facts/?incident=%ED%A0%80",
    "/api/v1/incidents/CD-2026-%ED%A0%80/",
    "/api/v1/spike-rules/99999999999999999999/",
    "/api/v1/action-items/99999999999999999999/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_query_a_database_cannot_compare_is_a_400(api, db, url):
    response = api("team_lead").get(url)
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("url", HARMLESS)
def test_odd_query_is_answered_without_a_500(api, db, url):
    assert api("team_lead").get(url).status_code in (200, 400, 404)


def test_browser_list_with_an_overflowing_date_is_no_500(client, team_lead):
    client.force_login(team_lead)
    response = client.get("/incidents/", {"detected_after": "9999-12-31T23:59:59-23:00"})
    assert response.status_code == 200  # the list, with the filter's error


def test_every_filterset_is_strict():
    assert get_resolver().url_patterns  # imports every app's filtersets

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    lax = [
        cls.__qualname__
        for cls in walk(django_filters.FilterSet)
        if cls.__module__.split(".")[0] in ("incidents", "playbooks", "postmortems", "crisisdesk")
        and not issubclass(cls, StrictFilterSet)
        and cls is not StrictFilterSet
    ]
    assert lax == []
