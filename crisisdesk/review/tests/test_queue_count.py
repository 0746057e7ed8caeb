"""The navigation's review-queue count, cached until review state changes (``crisisdesk.review.queue_count``)."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisisdesk.review import queue_count
from crisisdesk.review import services as review
from crisisdesk.review.models import ReviewRequest, ReviewRequestStatus, ReviewStatus
from crisisdesk.roles import LEGAL
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, role
from incidents.models import Membership

from .helpers import second_communicator, second_legal, statement_in

pytestmark = pytest.mark.django_db

PAGE = "/mentions/"


def in_review(author, incident):
    return statement_in(
        ReviewStatus.IN_REVIEW, author=author, reviewer=None, publisher=None, withdrawer=None, incident=incident
    )


def badge(client) -> int | None:
    """The count the navigation shows (None: no badge), and the page's query count."""
    html = client.get(PAGE).content.decode()
    marker = 'cd-queue-count">'
    if marker not in html:
        return None
    return int(html.split(marker, 1)[1].split("<", 1)[0])


def queries(client) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(PAGE).status_code == 200
    return len(context.captured_queries)


@pytest.fixture
def author(db):
    return second_communicator()


@pytest.fixture
def signed_in_legal(client, legal):
    client.force_login(legal)
    client.get(PAGE)  # the one-off sign-in stamp
    return client


def test_the_count_is_built_once_then_read_from_the_cache(signed_in_legal, author, incident):
    in_review(author, incident)
    built = queries(signed_in_legal)
    cached = queries(signed_in_legal)
    # The queue (open rounds, items with teams, authors, approvals) is not built again.
    assert built - cached == 5
    assert badge(signed_in_legal) == 1


def test_a_new_round_and_decisions_show_on_the_next_page(signed_in_legal, legal, author, incident):
    first = in_review(author, incident)
    assert badge(signed_in_legal) == 1
    second = in_review(author, incident)
    assert badge(signed_in_legal) == 2
    review.review_approve(actor=legal, item=first, revision=first.current_revision)
    assert badge(signed_in_legal) == 1
    review.review_reject(actor=legal, item=second, comment="Not this way.")
    assert badge(signed_in_legal) is None


def test_leaving_a_confidential_team_takes_its_items_off_the_count(client, author, confidential_incident):
    adviser = second_legal()
    MembershipFactory(incident=confidential_incident, user=author, role=role("communications"))
    MembershipFactory(incident=confidential_incident, user=adviser, role=role("legal"))
    in_review(author, confidential_incident)
    client.force_login(adviser)
    client.get(PAGE)
    assert badge(client) == 1
    Membership.objects.filter(incident=confidential_incident, user=adviser).delete()
    assert badge(client) is None


def test_an_incident_made_confidential_after_the_count(signed_in_legal, author):
    incident = IncidentFactory(lead=None)
    in_review(author, incident)
    assert badge(signed_in_legal) == 1
    incident.confidential = True
    incident.save()
    assert badge(signed_in_legal) is None


def test_losing_the_role_takes_the_count_away(signed_in_legal, legal, author, incident):
    in_review(author, incident)
    assert badge(signed_in_legal) == 1
    legal.groups.remove(Group.objects.get(name=LEGAL))
    assert badge(signed_in_legal) is None


def test_a_change_no_signal_announces_shows_once_the_count_expires(signed_in_legal, author, incident):
    statement = in_review(author, incident)
    in_review(author, incident)
    assert badge(signed_in_legal) == 2
    # A write that sends no signal (a raw update): the cached count stands until it expires.
    ReviewRequest.objects.filter(object_id=statement.pk).update(
        status=ReviewRequestStatus.CANCELLED, closed_at=timezone.now()
    )
    assert badge(signed_in_legal) == 2
    with time_machine.travel(timezone.now() + timedelta(seconds=queue_count.TTL_SECONDS + 1)):
        assert badge(signed_in_legal) == 1


def test_a_count_computed_while_a_write_was_in_flight_is_retired_by_its_commit(
    django_capture_on_commit_callbacks, legal, author, incident
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        in_review(author, incident)
    # Another request counted (from the state before the commit) and stored under the token of the moment.
    assert queue_count.cached_count(legal, lambda: 0) == 0
    for callback in callbacks:
        callback()
    assert queue_count.cached_count(legal, lambda: 1) == 1


def test_a_flushed_cache_counts_again(signed_in_legal, author, incident):
    in_review(author, incident)
    assert badge(signed_in_legal) == 1
    cache.clear()
    assert badge(signed_in_legal) == 1


def test_the_queue_page_hands_its_fresh_count_to_the_next_pages(signed_in_legal, author, incident):
    in_review(author, incident)
    assert signed_in_legal.get(reverse("review:queue")).status_code == 200
    # The next page reads the count the queue page stored: no queue built.
    assert badge(signed_in_legal) == 1
    with CaptureQueriesContext(connection) as context:
        signed_in_legal.get(PAGE)
    assert not any("review_reviewdecision" in q["sql"] for q in context.captured_queries)
