"""The hand-written read representations answer exactly what DRF's generic fields do (issue 15).

``IncidentSerializer``, ``IncidentDetailSerializer`` and ``UserBriefSerializer`` write their
representation out by hand (the list's CPU time went into DRF's field machinery); each keeps
DRF's path as ``generic_representation``. These tests compare the two, key for key and value for
value, on incidents with every kind of value (empty, null, every choice, other time zones), and
the rendered bytes of whole responses.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.versioning import NamespaceVersioning

from crisisdesk.api.serializers import UserBriefSerializer
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, UserFactory, role
from incidents.api.serializers import IncidentDetailSerializer, IncidentSerializer
from incidents.models import Category, Channel, Incident, Severity, Status

pytestmark = pytest.mark.django_db


def varied_incidents(team_lead):
    moment = datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=UTC)  # a DST change in Europe
    named = UserFactory(username="named", first_name="Ada", last_name="Lovelace")
    incidents = [
        IncidentFactory(
            lead=None,
            summary="",
            source="",
            affected_channels=[],
            category=Category.OTHER,
            severity=Severity.CRITICAL,
            status=Status.DETECTED,
            detected_at=moment,
        ),
        IncidentFactory(
            lead=team_lead,
            affected_channels=list(Channel.values),
            confidential=True,
            is_exercise=True,
            severity=Severity.LOW,
            status=Status.CLOSED,
            detected_at=moment - timedelta(days=400),
            acknowledged_at=moment - timedelta(days=399),
            first_public_response_at=moment - timedelta(days=398, microseconds=1),
            resolved_at=moment - timedelta(days=390),
            closed_at=moment - timedelta(days=389),
            title='Ünïcode «titre» \u2028 "quoted" </script>',
        ),
        IncidentFactory(
            lead=named,
            status=Status.RESPONDING,
            detected_at=moment.replace(microsecond=0),
            acknowledged_at=moment.replace(microsecond=0),
        ),
    ]
    for status in Status.values:
        clocks = {"acknowledged_at": moment, "resolved_at": moment, "closed_at": moment}
        incidents.append(IncidentFactory(lead=team_lead, status=status, **clocks))
    for incident in incidents:
        MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    return Incident.objects.select_related("lead").filter(pk__in=[i.pk for i in incidents]).order_by("id")


def context_for(user, path="/api/v1/incidents/"):
    request = APIRequestFactory().get(path, secure=True, HTTP_HOST="testserver")
    request.user = user
    from rest_framework.request import Request

    drf_request = Request(request)
    drf_request.user = user
    return {"request": drf_request, "format": None, "view": None}


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/St_Johns"])
@pytest.mark.parametrize("serializer_class", [IncidentSerializer, IncidentDetailSerializer])
def test_the_hand_written_incident_representation_is_drfs(team_lead, zone, serializer_class):
    incidents = varied_incidents(team_lead)
    context = context_for(team_lead)
    with timezone.override(zone):
        for incident in incidents:
            fast = serializer_class(incident, context=context).data
            generic = serializer_class(context=context).generic_representation(incident)
            assert list(fast) == list(generic) == serializer_class.Meta.fields
            assert fast == generic
            assert JSONRenderer().render(fast) == JSONRenderer().render(generic)
        many = serializer_class(incidents, many=True, context=context).data
        assert [dict(row) for row in many] == [
            serializer_class(context=context).generic_representation(incident) for incident in incidents
        ]


def test_the_hand_written_user_brief_is_drfs(team_lead):
    for user in [team_lead, UserFactory(first_name="Grace", last_name="Hopper"), UserFactory(first_name=" ")]:
        assert UserBriefSerializer(user).data == UserBriefSerializer().generic_representation(user)


def test_an_unusual_reference_falls_back_to_reverse(team_lead):
    incident = IncidentFactory(reference="CD 2026/é")  # quoted by reverse(); no URL route matches a "/"
    incident.reference = "CD 2026 é"
    context = context_for(team_lead)
    fast = IncidentSerializer(incident, context=context).data
    assert fast["url"] == "https://testserver/api/v1/incidents/CD%202026%20%C3%A9/"
    assert fast == IncidentSerializer(context=context).generic_representation(incident)


def test_a_format_suffix_or_versioning_takes_drfs_path(team_lead):
    incident = IncidentFactory(lead=team_lead)
    context = {**context_for(team_lead), "format": "json"}
    serializer = IncidentSerializer(incident, context=context)
    assert serializer.data == serializer.generic_representation(incident)
    assert serializer.data["url"].endswith(".json")
    context = context_for(team_lead)
    context["request"].versioning_scheme = NamespaceVersioning()
    context["request"].version = None
    assert IncidentSerializer(incident, context=context).data == IncidentSerializer(
        context=context
    ).generic_representation(incident)


@override_settings(REST_FRAMEWORK={"DATETIME_FORMAT": "%Y-%m-%d %H:%M"})
def test_another_datetime_format_takes_drfs_path(team_lead):
    incident = IncidentFactory(lead=team_lead, detected_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    data = IncidentSerializer(incident, context=context_for(team_lead)).data
    assert data["detected_at"] == "2026-01-02 03:04"


def test_the_list_and_detail_responses_keep_their_bytes(team_lead):
    varied_incidents(team_lead)
    client = APIClient()
    client.force_login(team_lead)
    response = client.get("/api/v1/incidents/?page_size=50", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == Incident.objects.count()
    context = context_for(team_lead)
    by_reference = {i.reference: i for i in Incident.objects.select_related("lead")}
    for row in rows:
        generic = IncidentSerializer(context=context).generic_representation(by_reference[row["reference"]])
        generic["url"] = generic["url"].replace("https://", "http://")
        assert row == generic
    detail = client.get(rows[1]["url"], HTTP_ACCEPT="application/json").json()
    incident = by_reference[detail["reference"]]
    generic = IncidentDetailSerializer(context=context).generic_representation(incident)
    generic["url"] = generic["url"].replace("https://", "http://")
    assert detail == generic
    assert detail["allowed_transitions"] == generic["allowed_transitions"]


def test_the_api_takes_the_hand_written_path(team_lead, monkeypatch):
    IncidentFactory.create_batch(3, lead=team_lead)

    def refuse(self, instance):
        raise AssertionError("DRF's generic path was taken")

    monkeypatch.setattr(IncidentSerializer, "generic_representation", refuse)
    monkeypatch.setattr(UserBriefSerializer, "generic_representation", refuse)
    client = APIClient()
    client.force_login(team_lead)
    response = client.get("/api/v1/incidents/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3
