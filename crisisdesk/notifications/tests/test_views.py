"""The notification centre pages and the bell: list, mark read, mark all read, follow a link, query counts."""

import pytest

from crisisdesk.notifications.models import Notification
from crisisdesk.notifications.services import notify

pytestmark = pytest.mark.django_db


def tell(user, text="Review requested: x", url="/reviews/", **kwargs):
    return notify(recipients=[user], kind="review.requested", text=text, url=url, **kwargs)[0]


def test_list_shows_own_newest_first_with_unread_highlighted(client, legal, communicator):
    tell(legal, "older")
    read = tell(legal, "already read")
    read.read_at = read.created_at
    read.save()
    tell(communicator, "not for legal")
    client.force_login(legal)
    response = client.get("/notifications/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "not for legal" not in html
    assert html.index("already read") < html.index("older")
    assert html.count("cd-unread") == 1
    assert 'data-live-region="notifications"' in html


def test_bell_shows_the_unread_count(client, legal):
    client.force_login(legal)
    assert "cd-bell-count" not in client.get("/notifications/").content.decode()
    tell(legal), tell(legal)
    html = client.get("/notifications/").content.decode()
    assert 'cd-bell-count">2<' in html and 'data-live-region="bell"' in html


def test_bell_count_is_one_query(rf, legal, django_assert_num_queries):
    from crisisdesk.notifications.context_processors import unread_notifications

    tell(legal)
    request = rf.get("/")
    request.user = legal
    context = unread_notifications(request)
    # Every page has read the user's permissions already (the navigation shows links by them).
    legal.has_perm("incidents.view_incident")
    with django_assert_num_queries(1):
        assert str(context["unread_notifications"]) == "1"


def test_mark_read_and_mark_all_read(client, legal):
    first, second, third = tell(legal), tell(legal), tell(legal)
    client.force_login(legal)
    response = client.post(f"/notifications/{first.pk}/read/", {"next": "/notifications/?page=1"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?page=1"
    first.refresh_from_db()
    assert first.read_at is not None
    response = client.post(f"/notifications/{second.pk}/read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"
    response = client.post("/notifications/read-all/")
    assert response.status_code == 302
    third.refresh_from_db()
    assert third.read_at is not None


def test_following_the_link_marks_it_read(client, legal):
    notification = tell(legal, url="/reviews/statement/1/")
    external = tell(legal, url="https://evil.example/")
    client.force_login(legal)
    response = client.get(f"/notifications/{notification.pk}/")
    assert response.status_code == 302 and response["Location"] == "/reviews/statement/1/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert client.get(f"/notifications/{external.pk}/")["Location"] == "/notifications/"


@pytest.mark.parametrize("persona", ["outsider", "communicator"])
def test_another_persons_notification_is_a_404(client, legal, personas, persona):
    notification = tell(legal)
    client.force_login(personas[persona])
    assert client.get(f"/notifications/{notification.pk}/").status_code == 404
    assert client.post(f"/notifications/{notification.pk}/read/").status_code == 404
    assert "Review requested" not in client.get("/notifications/").content.decode()
    notification.refresh_from_db()
    assert notification.read_at is None


def test_anonymous_is_sent_to_sign_in(client, legal):
    tell(legal)
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_query_count_stays_flat(client, legal, django_assert_max_num_queries):
    client.force_login(legal)
    tell(legal)
    with django_assert_max_num_queries(40) as one:
        assert client.get("/notifications/").status_code == 200
    for i in range(49):
        tell(legal, f"n{i}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get("/notifications/")
    assert response.content.decode().count("cd-unread") == 25  # a page
    assert Notification.objects.count() == 50
