"""The lessons library search: the same hits on PostgreSQL (full text) and SQLite (icontains on every word).

This module runs in both suites (``make test`` runs SQLite, then PostgreSQL); the expected hits are
the same, chosen so stemming and substring matching agree.
"""

import pytest
from django.db import connection

from crisisdesk.testing.factories import IncidentFactory
from postmortems import selectors
from postmortems.tests.helpers import published_review, resolved_review, second_team_lead


@pytest.fixture
def library(team_lead):
    approver = second_team_lead()

    def publish(title, category, severity, year, **sections):
        from datetime import UTC, datetime

        incident = IncidentFactory(
            title=title, category=category, severity=severity, detected_at=datetime(year, 5, 1, tzinfo=UTC)
        )
        return published_review(author=team_lead, approver=approver, incident=incident, title=title, **sections)

    items = {
        "jar": publish(
            "Cracked blender jar video",
            "product_defect",
            2,
            2025,
            lessons="Keep a holding statement about product safety ready.",
            root_causes="No recall playbook for glass parts.",
        ),
        "outage": publish(
            "Checkout outage on sale day",
            "service_outage",
            1,
            2026,
            lessons="Post status updates every thirty minutes.",
            summary="Payments failed for two hours during the sale.",
        ),
        "memo": publish(
            "Leaked memo about store closures",
            "executive_conduct",
            3,
            2026,
            lessons="Brief staff before the press hears about closures.",
        ),
    }
    # A draft never shows in the library, whatever it says.
    draft = resolved_review(lead=team_lead, incident=IncidentFactory(title="Draft about product safety"))
    from postmortems import services

    services.postmortem_update(actor=team_lead, review_item=draft, lessons="product safety holding statement")
    return items


def _hits(user, **filters):
    return {item.title for item in selectors.library(user, **filters)}


@pytest.mark.django_db
def test_search_uses_the_right_engine():
    assert selectors.uses_full_text_search() == (connection.vendor == "postgresql")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"Cracked blender jar video", "Checkout outage on sale day", "Leaked memo about store closures"}),
        ({"text": "holding statement"}, {"Cracked blender jar video"}),
        ({"text": "recall"}, {"Cracked blender jar video"}),
        ({"text": "closures"}, {"Leaked memo about store closures"}),
        ({"text": "payments sale"}, {"Checkout outage on sale day"}),
        ({"text": "nothing-like-this"}, set()),
        ({"category": "service_outage"}, {"Checkout outage on sale day"}),
        ({"severity": 3}, {"Leaked memo about store closures"}),
        ({"year": 2025}, {"Cracked blender jar video"}),
        ({"text": "closures", "year": 2025}, set()),
    ],
)
def test_library_hits(library, team_lead, filters, expected):
    assert _hits(team_lead, **filters) == expected


@pytest.mark.django_db
def test_every_word_must_match(library, team_lead):
    # websearch_to_tsquery ANDs the words, as the fallback does.
    assert _hits(team_lead, text="holding payments") == set()
    assert _hits(team_lead, text="holding glass") == {"Cracked blender jar video"}


@pytest.mark.django_db
def test_library_respects_confidentiality(team_lead, observer, confidential_incident):
    published_review(
        author=team_lead,
        approver=_confidential_approver(confidential_incident),
        incident=confidential_incident,
        lessons="Secret lesson about closures.",
    )
    assert _hits(team_lead, text="secret") == {f"Review: {confidential_incident.title}"}
    assert _hits(observer, text="secret") == set()


def _confidential_approver(incident):
    """A second team lead on the confidential incident's team (so they may see and approve its review)."""
    from crisisdesk.testing.factories import MembershipFactory, role

    approver = second_team_lead()
    MembershipFactory(incident=incident, user=approver, role=role("communications"))
    return approver


@pytest.mark.django_db
def test_api_search_is_the_library(client_for, library, team_lead):
    response = client_for(team_lead).get("/api/v1/postmortems/", {"q": "holding statement"})
    assert [row["title"] for row in response.json()["results"]] == ["Cracked blender jar video"]


@pytest.mark.django_db
def test_gin_index_exists_only_on_postgresql_and_serves_the_search(library, team_lead):
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'postmortem_search_gin'")
            assert cursor.fetchall() == []
            return
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'postmortem_search_gin'")
        assert "gin" in cursor.fetchone()[0].lower()
        from django.contrib.postgres.search import SearchQuery

        from postmortems.models import PostmortemReview

        # The search expression alone (the library adds visibility filters the planner may start from).
        query = SearchQuery("holding", search_type="websearch", config=selectors.SEARCH_CONFIG)
        queryset = PostmortemReview.objects.annotate(search=selectors.search_vector()).filter(search=query)
        sql, params = queryset.values("pk").query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "postmortem_search_gin" in plan
