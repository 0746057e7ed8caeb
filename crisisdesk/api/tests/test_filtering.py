"""The API filter backend builds no FilterSet when the query string names no filter, and filters as before otherwise."""

import django_filters
import pytest
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.test import APIClient

from crisisdesk.api.filtering import _filters_nothing
from crisisdesk.testing.factories import IncidentFactory
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def filterset_builds(monkeypatch):
    calls = []
    original = DjangoFilterBackend.filter_queryset

    def counting(self, request, queryset, view):
        calls.append(dict(request.query_params))
        return original(self, request, queryset, view)

    monkeypatch.setattr(DjangoFilterBackend, "filter_queryset", counting)
    return calls


@pytest.fixture
def client(team_lead):
    IncidentFactory.create_batch(3, lead=team_lead)
    IncidentFactory(lead=team_lead, status=Status.INVESTIGATING, acknowledged_at=Incident.objects.first().detected_at)
    client = APIClient()
    client.force_login(team_lead)
    return client


def test_a_list_or_detail_without_filters_builds_no_filterset(client, filterset_builds):
    response = client.get("/api/v1/incidents/?page_size=2")
    assert response.status_code == 200 and len(response.json()["results"]) == 2
    assert client.get(response.json()["next"]).status_code == 200
    reference = Incident.objects.first().reference
    assert client.get(f"/api/v1/incidents/{reference}/").status_code == 200
    assert filterset_builds == []


def test_a_named_filter_still_filters_and_still_refuses_bad_values(client, filterset_builds):
    rows = client.get("/api/v1/incidents/?status=investigating").json()["results"]
    assert [row["status"] for row in rows] == ["investigating"]
    assert client.get("/api/v1/incidents/?status=").status_code == 400  # as with django-filter's backend
    response = client.get("/api/v1/incidents/?status=nonsense")
    assert response.status_code == 400 and "status" in response.json()
    assert client.get("/api/v1/incidents/?detected_after=9999-12-31T23:59:59-23:00").status_code == 400
    reference = Incident.objects.filter(status=Status.DETECTED).first().reference
    # On a detail too: a filter that excludes the incident is a 404, as with django-filter's backend.
    assert client.get(f"/api/v1/incidents/{reference}/?status=investigating").status_code == 404
    assert len(filterset_builds) == 5


def test_what_counts_as_naming_a_filter():
    assert _filters_nothing(IncidentFilterSet, {"page_size": "20", "cursor": "x", "format": "json"})
    assert not _filters_nothing(IncidentFilterSet, {"q": ""})
    # A range or multi-widget filter reads <name>_min, <name>_0…: a prefix counts.
    assert not _filters_nothing(IncidentFilterSet, {"detected_after_0": "x"})

    class Required(django_filters.FilterSet):
        title = django_filters.CharFilter(required=True)

        class Meta:
            model = Incident
            fields = ["title"]

    class Narrowing(django_filters.FilterSet):
        class Meta:
            model = Incident
            fields = ["title"]

        @property
        def qs(self):
            return super().qs.filter(confidential=False)

    assert not _filters_nothing(Required, {})
    assert not _filters_nothing(Narrowing, {})
