"""Cursor pagination: every row exactly once, however many rows share an ordering value.

DRF's cursor keyed on the first ordering column only, with an offset capped at
1,000: 1,600 mentions posted in the same second made ``next`` loop forever.
"""

import re
from base64 import b64encode
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from crisisdesk.api.pagination import CursorPagination, unique_ordering
from crisisdesk.testing.factories import IncidentFactory
from incidents.listening.models import Mention, WatchTerm
from incidents.models import TimelineEntry

POSTED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def walk(client, url, *, limit=20):
    """Follow ``next`` from ``url``; return (every id seen, the pages' bodies)."""
    seen, bodies = [], []
    while url:
        assert len(bodies) < limit, "the cursor loops"
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        bodies.append(body)
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    return seen, bodies


def walk_back(client, url, *, limit=20):
    seen = []
    while url:
        assert limit, "the cursor loops"
        limit -= 1
        body = client.get(url).json()
        seen = [row["id"] for row in body["results"]] + seen
        url = body["previous"]
    return seen


@pytest.fixture
def superuser_client(admin_user):
    client = APIClient()
    client.force_login(admin_user)
    return client


def test_1600_mentions_sharing_one_posted_at_each_seen_exactly_once(superuser_client):
    Mention.objects.bulk_create(
        Mention(platform="x", external_id=str(i), text="Acme", posted_at=POSTED) for i in range(1600)
    )
    expected = list(Mention.objects.order_by("-id").values_list("id", flat=True))

    seen, bodies = walk(superuser_client, reverse("api:mention-list") + "?page_size=500")

    assert [len(body["results"]) for body in bodies] == [500, 500, 500, 100]
    assert seen == expected  # each exactly once, in the list's order (-posted_at, -id)
    cursors = [body["next"] for body in bodies]
    assert len(set(cursors)) == len(cursors)
    # And back again from the last page with ``previous``: the same rows, the same order.
    last_page = bodies[-1]["previous"]
    assert walk_back(superuser_client, last_page) == expected[:1500]


def test_1600_timeline_entries_created_in_one_instant_each_seen_exactly_once(superuser_client):
    incident = IncidentFactory()
    with mock.patch("django.utils.timezone.now", return_value=POSTED):  # auto_now_add: one instant
        TimelineEntry.objects.bulk_create(TimelineEntry(incident=incident, body=f"Note {i}") for i in range(1600))
    expected = list(TimelineEntry.objects.order_by("-id").values_list("id", flat=True))
    assert TimelineEntry.objects.filter(created_at=POSTED).count() == 1600

    seen, bodies = walk(superuser_client, reverse("api:timelineentry-list") + "?page_size=500")

    assert len(bodies) == 4
    assert seen == expected


def test_ordering_is_made_unique_by_appending_the_primary_key():
    assert unique_ordering(WatchTerm, ("term",)) == ("term", "pk")
    assert unique_ordering(Mention, ("-posted_at",)) == ("-posted_at", "-pk")
    assert unique_ordering(Mention, "-posted_at") == ("-posted_at", "-pk")
    assert unique_ordering(Mention, ("-posted_at", "-id")) == ("-posted_at", "-id")
    assert unique_ordering(Mention, ()) == ("-pk",)
    with pytest.raises(ImproperlyConfigured):
        unique_ordering(Mention, ("incident__reference",))


def test_every_cursor_paginated_list_orders_on_a_unique_key():
    """Walk the API router: each list's effective ordering ends on a unique column."""
    from crisisdesk import urls
    from crisisdesk.api.pagination import _is_unique

    checked = 0
    for viewset in _api_viewsets(urls.urlpatterns):
        paginator = viewset.pagination_class
        if paginator is None or not issubclass(paginator, CursorPagination):
            continue
        if not hasattr(viewset, "list"):
            continue
        model = viewset.queryset.model
        ordering = paginator().get_ordering(None, viewset.queryset, viewset())
        assert _is_unique(model, ordering[-1].lstrip("-")), (viewset, ordering)
        checked += 1
    assert checked >= 10


def _api_viewsets(patterns):
    from django.urls import URLPattern, URLResolver

    found = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found |= _api_viewsets(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
            cls = pattern.callback.cls
            if getattr(cls, "queryset", None) is not None:
                found.add(cls)
    return found


class _View:
    ordering = ("sentiment",)  # nullable and not unique: NULL sorts last, the pk breaks ties


def _page(request_url, queryset):
    paginator = CursorPagination()
    request = Request(APIRequestFactory().get(request_url))
    page = paginator.paginate_queryset(queryset, request, view=_View())
    return paginator, [mention.external_id for mention in page]


@pytest.mark.django_db
def test_nullable_ordering_column_walks_every_row_once_both_ways():
    scores = [0.5, None, -0.2, 0.5, None, 0.1, None, 0.5]
    Mention.objects.bulk_create(
        Mention(platform="x", external_id=str(i), text="Acme", posted_at=POSTED, sentiment=score)
        for i, score in enumerate(scores)
    )
    queryset = Mention.objects.all()
    forward, url, pages = [], "/api/v1/mentions/?page_size=3", []
    while url:
        paginator, page = _page(url, queryset)
        forward += page
        pages.append(paginator)
        url = paginator.get_next_link()
    # Ascending sentiment, NULL last (on SQLite and PostgreSQL alike), then by id.
    assert forward == ["2", "5", "0", "3", "7", "1", "4", "6"]

    backward, url = [], pages[-1].get_previous_link()
    while url:
        paginator, page = _page(url, queryset)
        backward = page + backward
        url = paginator.get_previous_link()
    assert backward == forward[:6]


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        b64encode(b"p=5").decode(),  # DRF's old format
        b64encode(b'{"p": ["2026-01-01"]}').decode(),  # wrong length
        b64encode(b'{"p": ["not a date", "1"]}').decode(),
        b64encode(b'{"p": ["2026-03-01T09:30:00+00:00", "99999999999999999999999"]}').decode(),
        b64encode(b'{"p": ["2026-03-01T09:30:00+00:00", "1\\u0000"]}').decode(),
        b64encode(b'{"p": ["2026-03-01T09:30:00+00:00", 1]}').decode(),
        b64encode(b'{"p": [null, "1"], "r": 7}').decode(),
        b64encode(b'["p"]').decode(),
    ],
)
def test_a_forged_cursor_answers_invalid_cursor_not_500(superuser_client, cursor):
    response = superuser_client.get(reverse("api:mention-list"), {"cursor": cursor})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


def test_the_next_page_query_bounds_the_first_column_so_the_index_starts_at_the_cursor(superuser_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Mention.objects.bulk_create(
        Mention(platform="x", external_id=str(i), text="Acme", posted_at=POSTED) for i in range(3)
    )
    next_url = superuser_client.get(reverse("api:mention-list") + "?page_size=2").json()["next"]
    with CaptureQueriesContext(connection) as queries:
        assert len(superuser_client.get(next_url).json()["results"]) == 1
    page_query = next(q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"])
    # ... WHERE ((posted_at < x) OR (posted_at = x AND id < y)) AND posted_at <= x ORDER BY ...
    assert re.search(r'"posted_at" <= ', page_query), page_query
