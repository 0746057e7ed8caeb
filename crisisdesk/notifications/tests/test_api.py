"""``/api/v1/notifications/``: own notifications only, filter unread, mark one or all read, 404 for another's."""

import pytest

from crisisdesk.notifications.models import Notification
from crisisdesk.notifications.services import notify

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/"


def tell(user, text="Review requested: x", **kwargs):
    return notify(recipients=[user], kind="review.requested", text=text, url="/reviews/", **kwargs)[0]


def test_lists_own_notifications_newest_first(api, legal, communicator):
    older, newer = tell(legal, "older"), tell(legal, "newer")
    tell(communicator, "not yours")
    response = api("legal").get(URL)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [newer.pk, older.pk]
    row = response.json()["results"][0]
    assert row["text"] == "newer" and row["kind"] == "review.requested" and row["is_read"] is False
    assert row["kind_label"] == "Review requested" and row["url"] == "/reviews/"


@pytest.mark.parametrize("persona", ["outsider", "observer"])
def test_others_see_nothing_of_them(api, legal, persona):
    notification = tell(legal)
    client = api(persona)
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{notification.pk}/").status_code == 404
    assert client.post(f"{URL}{notification.pk}/read/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_anonymous_is_refused(client, legal):
    tell(legal)
    assert client.get(URL).status_code in (401, 403)


def test_filter_unread_and_mark_read(api, legal):
    first, second = tell(legal, "one"), tell(legal, "two")
    client = api("legal")
    response = client.post(f"{URL}{first.pk}/read/")
    assert response.status_code == 200 and response.json()["is_read"] is True
    assert [row["id"] for row in client.get(URL, {"unread": "true"}).json()["results"]] == [second.pk]
    assert [row["id"] for row in client.get(URL, {"unread": "false"}).json()["results"]] == [first.pk]


def test_read_all_marks_only_own(api, legal, communicator):
    tell(legal), tell(legal)
    theirs = tell(communicator)
    response = api("legal").post(f"{URL}read-all/", {}, format="json")
    assert response.status_code == 200 and response.json() == {"marked": 2}
    assert Notification.objects.filter(recipient=legal, read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_body_field_is_refused(api, legal):
    notification = tell(legal)
    response = api("legal").post(f"{URL}{notification.pk}/read/", {"read_at": "2026-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 400 and "read_at" in response.json()


def test_hidden_incident_notification_answers_404(api, communicator, confidential_incident):
    notification = tell(communicator, incident=confidential_incident)
    client = api("communicator")
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{notification.pk}/").status_code == 404


def test_list_query_count_stays_flat(api, legal, django_assert_max_num_queries):
    client = api("legal")
    tell(legal)
    with django_assert_max_num_queries(20) as one:
        assert len(client.get(URL).json()["results"]) == 1
    for i in range(49):
        tell(legal, f"n{i}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(URL).json()["results"]) == 50
