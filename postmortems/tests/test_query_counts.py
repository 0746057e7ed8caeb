"""List pages and endpoints cost the same number of queries for 1 row as for 50."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisisdesk.review import services as review
from crisisdesk.testing.factories import IncidentFactory
from postmortems import services
from postmortems.tests.helpers import T0, play_crisis, second_team_lead


def _add_published_reviews(n, *, author, approver, owner):
    for index in range(n):
        incident = IncidentFactory(title=f"Crisis number {index}", detected_at=T0)
        item = services.postmortem_draft_for(incident=incident, actor=author)
        item = services.postmortem_update(actor=author, review_item=item, lessons=f"Lesson {index} about refunds.")
        review.review_submit(actor=author, item=item)
        item.refresh_from_db()
        review.review_approve(actor=approver, item=item, revision=item.current_revision)
        review.review_publish(actor=author, item=item)
        services.action_item_create(
            actor=author, review_item=item, title=f"Fix {index}", owner=owner, due_date=date(2020, 1, 1)
        )


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(queries)


URLS = [
    (reverse("postmortems:list"), None),
    (reverse("postmortems:library"), None),
    (reverse("postmortems:library"), {"q": "refunds"}),
    (reverse("postmortems:my_actions"), None),
    (reverse("dashboard"), None),
    ("/api/v1/postmortems/", None),
    ("/api/v1/postmortems/", {"q": "refunds"}),
    ("/api/v1/action-items/", None),
]


@pytest.mark.django_db
def test_lists_stay_flat(client_for, team_lead, communicator):
    approver = second_team_lead()
    _add_published_reviews(1, author=team_lead, approver=approver, owner=team_lead)
    client = client_for(team_lead)
    for url, params in URLS:
        _count(client, url, params)  # warm caches (content types, sessions)
    one = {(url, str(params)): _count(client, url, params) for url, params in URLS}
    _add_published_reviews(49, author=team_lead, approver=approver, owner=team_lead)
    fifty = {(url, str(params)): _count(client, url, params) for url, params in URLS}
    assert fifty == one


@pytest.mark.django_db
def test_metrics_stay_flat(client_for, team_lead, communicator, legal):
    people = {"lead": team_lead, "communicator": communicator, "legal": legal}
    play_crisis(**people, detected=T0, ack=5, submit=10, approve=20, publish=30, resolve=60)
    client = client_for(team_lead)
    _count(client, reverse("postmortems:metrics"))
    one = (_count(client, reverse("postmortems:metrics")), _count(client, "/api/v1/postmortem-metrics/"))
    for day in range(1, 12):
        play_crisis(**people, detected=T0.replace(day=day + 2), ack=5, submit=10, approve=20, publish=30, resolve=60)
    many = (_count(client, reverse("postmortems:metrics")), _count(client, "/api/v1/postmortem-metrics/"))
    assert many == one
