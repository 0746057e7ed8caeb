"""The capped paginator of the browser lists: a count over at most cap + 1 rows, pages past the cap still reachable."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisisdesk.pagination import COUNT_CAP, CappedPaginator
from crisisdesk.testing.factories import IncidentFactory
from incidents.models import Incident

pytestmark = pytest.mark.django_db


def paginator(cap: int, per_page: int = 5, **kwargs) -> CappedPaginator:
    capped = CappedPaginator(Incident.objects.order_by("id"), per_page, **kwargs)
    capped.cap = cap
    return capped


@pytest.fixture
def incidents_23(db):
    return IncidentFactory.create_batch(23)


def test_the_cap_is_a_thousand():
    assert COUNT_CAP == 1000 and CappedPaginator.cap == 1000


def test_under_the_cap_the_count_is_exact(incidents_23):
    pages = paginator(cap=100)
    assert pages.count == 23
    assert not pages.capped
    assert pages.num_pages == 5


def test_over_the_cap_the_count_stops_at_cap_plus_one_in_one_limited_query(incidents_23):
    pages = paginator(cap=10)
    with CaptureQueriesContext(connection) as queries:
        assert pages.count == 11
    assert pages.capped
    assert len(queries.captured_queries) == 1
    sql = queries.captured_queries[0]["sql"].upper()
    assert "COUNT(" in sql and "LIMIT 11" in sql


def test_pages_beyond_the_cap_still_work_and_the_last_one_makes_the_count_exact(incidents_23):
    pages = paginator(cap=10)
    first = pages.page(1)
    assert pages.capped and first.has_next() and not first.has_previous()
    assert first.next_page_number() == 2
    third = pages.page(3)  # rows 11-15: past the cap of 10
    assert [i.pk for i in third] == [i.pk for i in incidents_23[10:15]]
    assert third.has_next() and third.end_index() == 15
    last = pages.page(5)
    assert [i.pk for i in last] == [i.pk for i in incidents_23[20:]]
    assert not last.has_next()
    # The last page's fetch saw the end: the total is exact now.
    assert pages.count == 23 and not pages.capped and pages.num_pages == 5


def test_a_page_past_the_end_and_bad_numbers_are_refused(incidents_23):
    pages = paginator(cap=10)
    with pytest.raises(EmptyPage):
        pages.page(6)
    with pytest.raises(EmptyPage):
        pages.page(0)
    with pytest.raises(PageNotAnInteger):
        pages.page("two")


def test_a_page_and_its_capped_count_are_one_query(incidents_23):
    pages = paginator(cap=10)
    with CaptureQueriesContext(connection) as queries:
        page = pages.page(2)
        assert pages.count == 11 and pages.capped
    assert len(queries.captured_queries) == 1
    assert [i.pk for i in page] == [i.pk for i in incidents_23[5:10]]


def test_a_short_list_needs_no_count_query(incidents_23):
    pages = paginator(cap=100, per_page=25)
    with CaptureQueriesContext(connection) as queries:
        page = pages.page(1)
        assert pages.count == 23
    assert len(queries.captured_queries) == 1
    assert len(page) == 23 and not page.has_next()


def test_orphans_join_the_last_page(incidents_23):
    pages = paginator(cap=10, per_page=10, orphans=3)
    assert len(pages.page(2)) == 13
    assert pages.count == 23


def test_an_empty_list_has_one_empty_page():
    pages = paginator(cap=10)
    page = pages.page(1)
    assert list(page) == [] and pages.count == 0 and page.end_index() == 0


def test_elided_range_when_capped_ends_with_an_ellipsis(incidents_23):
    pages = paginator(cap=10, per_page=2)  # 11 counted: 6 pages known, more may follow
    assert pages.capped
    assert list(pages.get_elided_page_range(1, on_each_side=2, on_ends=1)) == [1, 2, 3, pages.ELLIPSIS]
    assert list(pages.get_elided_page_range(9, on_each_side=2, on_ends=1)) == [
        1,
        pages.ELLIPSIS,
        7,
        8,
        9,
        pages.ELLIPSIS,
    ]


# --- the browser incident list ---------------------------------------------------------------------


def test_incident_list_says_more_than_the_cap_and_next_works_past_it(client_for, observer, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 30)
    IncidentFactory.create_batch(60, severity=2, title="Serious thing")
    IncidentFactory.create_batch(3, severity=4, title="Low thing")
    client = client_for(observer)
    response = client.get(reverse("incidents:list"))
    page = response.content.decode()
    assert "More than 30 incidents" in page
    assert response.context["paginator"].capped
    # Page 3 (rows 51-63) lies past the cap: it is served, and says where it is.
    third = client.get(reverse("incidents:list"), {"page": "3"})
    assert third.status_code == 200
    assert len(third.context["incidents"]) == 13
    assert not third.context["page_obj"].has_next()
    # The filters stay exact: under the cap, the exact total.
    low = client.get(reverse("incidents:list"), {"severity": "4"})
    assert low.context["paginator"].count == 3
    assert "3 incidents" in low.content.decode()


def test_incident_list_page_past_the_end_is_404(client_for, observer):
    IncidentFactory.create_batch(3)
    assert client_for(observer).get(reverse("incidents:list"), {"page": "9"}).status_code == 404


def test_incident_list_at_the_real_cap_prints_it_with_the_thousands_separator(client_for, observer):
    Incident.objects.bulk_create(IncidentFactory.build_batch(COUNT_CAP + 1))
    page = client_for(observer).get(reverse("incidents:list")).content.decode()
    assert "More than 1,000 incidents" in page
