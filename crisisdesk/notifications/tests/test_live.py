"""The live poll endpoint: 304 while nothing changed, 200 after a bump; bad and foreign tokens refused."""

import re

import pytest

from crisisdesk import live
from crisisdesk.notifications.services import notify

pytestmark = pytest.mark.django_db


def watch_of(html: str) -> tuple[str, str]:
    match = re.search(r'data-live-topics="([^"]+)" data-live-etag="([^"]+)"', html)
    assert match, "the page carries no live watch element"
    return match.group(1), match.group(2).replace("&quot;", '"')


def test_page_token_polls_304_until_a_topic_changes(client, communicator, incident, django_capture_on_commit_callbacks):
    client.force_login(communicator)
    token, etag = watch_of(client.get(incident.get_absolute_url()).content.decode())
    # The page's incident, the user's own notifications and (communicators see alerts) the nav's alert badge.
    assert live.unsign(user_pk=communicator.pk, token=token) == sorted(
        [live.incident_topic(incident), live.user_topic(communicator), live.ALERTS]
    )
    response = client.get("/live/", {"t": token}, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and response["ETag"] == etag
    # A timeline entry of the incident (on commit) changes the ETag.
    from incidents import services

    with django_capture_on_commit_callbacks(execute=True):
        services.timeline_add_note(actor=communicator, incident=incident, kind="note", body="Called the supplier.")
    response = client.get("/live/", {"t": token}, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    new_etag = response.json()["etag"]
    assert new_etag != etag and response["ETag"] == new_etag
    assert client.get("/live/", {"t": token}, HTTP_IF_NONE_MATCH=new_etag).status_code == 304


def test_a_notification_bumps_the_bell_topic(client, legal, django_capture_on_commit_callbacks):
    client.force_login(legal)
    token, etag = watch_of(client.get("/notifications/").content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[legal], kind="review.requested", text="Review requested: x")
    assert client.get("/live/", {"t": token}, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_tampered_foreign_missing_and_anonymous_tokens_are_refused(client, legal, communicator):
    token = live.sign(user=legal, topics=["incident:1"])
    client.force_login(communicator)
    assert client.get("/live/", {"t": token}).status_code == 403  # another user's token
    client.force_login(legal)
    assert client.get("/live/", {"t": token}).status_code == 200
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert client.get("/live/", {"t": tampered}).status_code == 403
    forged = live.signing.dumps(["incident:1"], salt="other")
    assert client.get("/live/", {"t": forged}).status_code == 403
    assert client.get("/live/").status_code == 400
    assert client.post("/live/", {"t": token}).status_code == 405
    client.logout()
    assert client.get("/live/", {"t": token}).status_code == 403


def test_poll_reads_only_the_session_and_the_user(client, legal, django_assert_num_queries):
    # The session middleware and the session age check (which loads the user); the versions come
    # from the cache (in-process in tests: on the database cache it adds one query).
    client.force_login(legal)
    token = live.sign(user=legal, topics=[f"incident:{n}" for n in range(15)])
    with django_assert_num_queries(2):
        assert client.get("/live/", {"t": token}).status_code == 200


def test_rolled_back_change_bumps_nothing(legal, django_capture_on_commit_callbacks):
    from django.db import transaction

    topics = [live.REVIEWS]
    before = live.etag(topics)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        live.touch(live.REVIEWS)
        raise RuntimeError
    assert callbacks == [] and live.etag(topics) == before
    with django_capture_on_commit_callbacks(execute=True):
        live.touch(live.REVIEWS)
    assert live.etag(topics) != before


def test_pages_declare_their_topics(client, legal, team_lead, incident):
    client.force_login(team_lead)
    token, _etag = watch_of(client.get("/").content.decode())
    assert live.ALERTS in live.unsign(user_pk=team_lead.pk, token=token)
    client.force_login(legal)
    token, _etag = watch_of(client.get("/reviews/queue/").content.decode())
    assert live.REVIEWS in live.unsign(user_pk=legal.pk, token=token)
