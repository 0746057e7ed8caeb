"""Mention answers and private follow-ups through the API: per persona, team-only, hidden == missing, validation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, role
from incidents.listening import services as mention_services
from incidents.listening.models import Mention, MentionStatus, PrivateFollowUp
from incidents.models import Status

pytestmark = pytest.mark.django_db

FOLLOW_UPS = "/api/v1/follow-ups/"


def make_mention(n=1, incident=None) -> Mention:
    return Mention.objects.create(
        platform="x",
        external_id=f"m-{n}",
        text=f"Acme blender cracked {n}",
        posted_at=timezone.now(),
        incident=incident,
    )


def private_url(mention) -> str:
    return f"/api/v1/mentions/{mention.pk}/answer-privately/"


def answer_url(mention) -> str:
    return f"/api/v1/mentions/{mention.pk}/answer/"


@pytest.fixture
def team(incident, communicator, team_lead):
    """The open incident's crisis team: the communicator and the team lead."""
    MembershipFactory(incident=incident, user=communicator, role=role("communications"))
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    return incident


# --- answer privately --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["communicator", "team_lead"])
def test_team_member_records_a_private_follow_up(api, persona, people, team):
    mention = make_mention(incident=team)
    response = api(persona).post(private_url(mention), {"channel": "email", "outcome": "Refund agreed"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    follow_up = PrivateFollowUp.objects.get(pk=body["id"])
    assert (follow_up.channel, follow_up.outcome, follow_up.incident, follow_up.created_by) == (
        "email",
        "Refund agreed",
        team,
        people[persona],
    )
    assert body["incident"] == team.reference and body["mention"] == mention.pk and body["channel"] == "email"
    mention.refresh_from_db()
    assert mention.status == MentionStatus.ANSWERED_PRIVATELY


def test_follow_up_names_the_incident_of_an_unlinked_mention(api, team):
    mention = make_mention()
    response = api("communicator").post(
        private_url(mention), {"channel": "phone", "incident": team.reference}, format="json"
    )
    assert response.status_code == 201, response.json()
    mention.refresh_from_db()
    assert mention.incident == team and mention.status == MentionStatus.ANSWERED_PRIVATELY


@pytest.mark.parametrize("persona", ["legal", "observer"])
def test_readers_may_not_follow_up(api, persona, team):
    mention = make_mention(incident=team)
    # Refused before the body is read: even a malformed body answers 403.
    assert api(persona).post(private_url(mention), {"channel": "pigeon"}, format="json").status_code == 403
    assert api(persona).post(private_url(mention), {"channel": "email"}, format="json").status_code == 403
    assert not PrivateFollowUp.objects.exists()


def test_outsider_sees_no_mention(api, team):
    mention = make_mention(incident=team)
    assert api("outsider").post(private_url(mention), {"channel": "email"}, format="json").status_code == 404


def test_a_communicator_off_the_team_may_not_follow_up(api, incident):
    mention = make_mention(incident=incident)
    response = api("communicator").post(private_url(mention), {"channel": "email"}, format="json")
    assert response.status_code == 403
    assert not PrivateFollowUp.objects.exists()
    mention.refresh_from_db()
    assert mention.status == MentionStatus.NEW


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "channel"),
        ({"channel": "pigeon"}, "channel"),
        ({"channel": "email", "outcome": "x" * 10001}, "outcome"),
        ({"channel": "email", "incident": "CD-1999-0000"}, "incident"),
        ({"channel": "email", "status": "ignored"}, "status"),
    ],
)
def test_bad_follow_ups_are_400_with_the_field_and_write_nothing(api, team, body, field):
    mention = make_mention(incident=team)
    response = api("communicator").post(private_url(mention), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not PrivateFollowUp.objects.exists()


def test_an_unlinked_mention_needs_an_incident(api, team):
    response = api("communicator").post(private_url(make_mention()), {"channel": "email"}, format="json")
    assert response.status_code == 400 and "incident" in response.json()


def test_a_closed_incident_takes_no_follow_up(api, communicator):
    now = timezone.now()
    closed = IncidentFactory(status=Status.CLOSED, acknowledged_at=now, resolved_at=now, closed_at=now)
    MembershipFactory(incident=closed, user=communicator, role=role("communications"))
    response = api("communicator").post(
        private_url(make_mention()), {"channel": "email", "incident": closed.reference}, format="json"
    )
    assert response.status_code == 400 and "incident" in response.json()


def test_confidential_incident_is_named_like_a_missing_one(api, confidential_incident, team):
    mention = make_mention()
    hidden = api("communicator").post(
        private_url(mention), {"channel": "email", "incident": confidential_incident.reference}, format="json"
    )
    missing = api("communicator").post(
        private_url(mention), {"channel": "email", "incident": "CD-2026-0002-X"}, format="json"
    )
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["incident"][0].replace(confidential_incident.reference, "?") == missing.json()["incident"][
        0
    ].replace("CD-2026-0002-X", "?")


# --- the follow-ups list -----------------------------------------------------------------------


@pytest.fixture
def recorded(team, communicator, confidential_incident, team_lead):
    """One follow-up on the open incident (team: communicator, lead), one on the confidential one (lead only)."""
    open_one = mention_services.mention_answer_privately(
        actor=communicator, mention=make_mention(1, team), channel="email", outcome="Called back"
    )
    secret = mention_services.mention_answer_privately(
        actor=team_lead, mention=make_mention(2, confidential_incident), channel="phone", outcome="Settled"
    )
    return open_one, secret


def test_team_lead_on_both_teams_sees_both(api, recorded):
    body = api("team_lead").get(FOLLOW_UPS).json()
    assert {row["id"] for row in body["results"]} == {f.pk for f in recorded}


def test_communicator_sees_only_their_team_follow_up(api, recorded):
    open_one, secret = recorded
    client = api("communicator")
    assert [row["id"] for row in client.get(FOLLOW_UPS).json()["results"]] == [open_one.pk]
    assert client.get(f"{FOLLOW_UPS}{open_one.pk}/").json()["outcome"] == "Called back"
    hidden = client.get(f"{FOLLOW_UPS}{secret.pk}/")
    missing = client.get(f"{FOLLOW_UPS}999999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


@pytest.mark.parametrize("persona", ["legal", "observer"])
def test_readers_off_the_team_see_no_follow_up(api, persona, recorded):
    """Follow-ups are confidential: reading mentions is not enough, only the incident's team sees them."""
    client = api(persona)
    response = client.get(FOLLOW_UPS)
    assert response.status_code == 200 and response.json()["results"] == []
    assert client.get(f"{FOLLOW_UPS}{recorded[0].pk}/").status_code == 404


def test_a_reader_on_the_team_sees_its_follow_up(api, legal, recorded, team):
    MembershipFactory(incident=team, user=legal, role=role("legal"))
    assert [row["id"] for row in api("legal").get(FOLLOW_UPS).json()["results"]] == [recorded[0].pk]


def test_outsider_may_not_list_follow_ups(api, recorded):
    assert api("outsider").get(FOLLOW_UPS).status_code == 403
    assert api("outsider").get(f"{FOLLOW_UPS}{recorded[0].pk}/").status_code == 404


def test_follow_ups_filter(api, recorded, team):
    client = api("team_lead")
    open_one, secret = recorded
    assert [r["id"] for r in client.get(FOLLOW_UPS, {"incident": team.reference}).json()["results"]] == [open_one.pk]
    assert [r["id"] for r in client.get(FOLLOW_UPS, {"channel": "phone"}).json()["results"]] == [secret.pk]
    assert [r["id"] for r in client.get(FOLLOW_UPS, {"mention": open_one.mention_id}).json()["results"]] == [
        open_one.pk
    ]
    assert client.get(FOLLOW_UPS, {"channel": "pigeon"}).status_code == 400
    for bad in ("99999999999999999999999", "1.5", "x", "0"):
        response = client.get(FOLLOW_UPS, {"mention": bad})
        assert response.status_code == 400 and "mention" in response.json(), bad


def test_follow_ups_are_read_only(api, recorded):
    url = f"{FOLLOW_UPS}{recorded[0].pk}/"
    client = api("team_lead")
    assert client.post(FOLLOW_UPS, {"channel": "email"}, format="json").status_code == 405
    assert client.patch(url, {"outcome": "changed"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405


def test_follow_up_list_query_count_is_flat(api, team, communicator):
    client = api("communicator")
    mention_services.mention_answer_privately(actor=communicator, mention=make_mention(0, team), channel="email")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(FOLLOW_UPS).json()["results"]) == 1
    for n in range(1, 50):
        mention_services.mention_answer_privately(actor=communicator, mention=make_mention(n, team), channel="email")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(FOLLOW_UPS).json()["results"]) == 50
    assert len(many) == len(one)


# --- public answer -----------------------------------------------------------------------------


def test_communicator_records_a_public_answer(api, incident):
    mention = make_mention(incident=incident)
    response = api("communicator").post(answer_url(mention), {"reply_url": "https://x.example/reply/1"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "answered" and response.json()["reply_url"] == "https://x.example/reply/1"


@pytest.mark.parametrize(("persona", "code"), [("legal", 403), ("observer", 403), ("outsider", 404)])
def test_only_triagers_record_answers(api, persona, code, incident):
    mention = make_mention(incident=incident)
    assert (
        api(persona).post(answer_url(mention), {"reply_url": "https://x.example/r"}, format="json").status_code == code
    )
    mention.refresh_from_db()
    assert mention.reply_url == ""


@pytest.mark.parametrize("body", [{}, {"reply_url": "javascript:alert(1)"}, {"reply_url": "x" * 1001}])
def test_bad_answers_are_400(api, incident, body):
    mention = make_mention(incident=incident)
    response = api("communicator").post(answer_url(mention), body, format="json")
    assert response.status_code == 400 and "reply_url" in response.json()
    mention.refresh_from_db()
    assert mention.status == MentionStatus.NEW


def test_mention_of_a_confidential_incident_is_missing(api, confidential_incident):
    mention = make_mention(incident=confidential_incident)
    for url in (answer_url(mention), private_url(mention)):
        hidden = api("communicator").post(url, {"reply_url": "https://x.example/r", "channel": "email"}, format="json")
        assert hidden.status_code == 404
    assert (
        api("team_lead").post(answer_url(mention), {"reply_url": "https://x.example/r"}, format="json").status_code
        == 200
    )


# --- integration API keys ---------------------------------------------------------------------


def key_client(admin_user, user, *scopes):
    from rest_framework.test import APIClient

    from crisisdesk.apikeys import services as key_services

    _, raw_key = key_services.apikey_create(actor=admin_user, name="Integration", scopes=list(scopes), user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def test_follow_ups_need_the_write_scope_to_record_and_read_to_list(admin_user, communicator, team):
    mention = make_mention(incident=team)
    reader = key_client(admin_user, communicator, "read")
    assert reader.get(FOLLOW_UPS).status_code == 200
    assert reader.post(private_url(mention), {"channel": "email"}, format="json").status_code == 403
    assert reader.post(answer_url(mention), {"reply_url": "https://x.example/r"}, format="json").status_code == 403
    writer = key_client(admin_user, communicator, "write")
    assert writer.post(private_url(mention), {"channel": "email"}, format="json").status_code == 201
    assert writer.get(FOLLOW_UPS).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        [1],
        {"channel": "email", "incident": {"a": 1}},
        {"channel": ["email"]},
        {"channel": "email", "outcome": "a\x00b"},
    ],
)
def test_malformed_follow_up_bodies_are_400(api, team, body):
    mention = make_mention(incident=team)
    assert api("communicator").post(private_url(mention), body, format="json").status_code == 400
    assert not PrivateFollowUp.objects.exists()


@pytest.mark.parametrize("body", [{"reply_url": "http://\x00"}, {"reply_url": ["http://a.example"]}, [1]])
def test_malformed_answer_bodies_are_400(api, incident, body):
    mention = make_mention(incident=incident)
    assert api("communicator").post(answer_url(mention), body, format="json").status_code == 400


def test_odd_filter_values_never_fail(api, recorded):
    client = api("team_lead")
    assert client.get(FOLLOW_UPS, {"channel": "\x00"}).status_code == 400
    assert client.get(FOLLOW_UPS, {"incident": "\x00"}).status_code == 400
