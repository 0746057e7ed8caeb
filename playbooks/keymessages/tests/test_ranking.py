"""Ranking key messages for an incident (issue 12): category, language and kind, with reasons; the API suggestions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisdesk.review.tests.helpers import approved_key_message, make_key_message, second_communicator
from crisisdesk.testing.factories import IncidentFactory
from incidents import hooks
from playbooks.keymessages.selectors import incident_language, rank_key_messages
from playbooks.tests.playbook_helpers import active_playbook, make_playbook, second_team_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(legal, team_lead):
    """Key messages filed under playbooks: product defect (holding EN, holding FR), data breach (line to take EN),
    a general holding statement EN, plus a draft and an expired one that must never be offered."""
    author = second_communicator()
    lead2 = second_team_lead()
    km = {
        "defect_holding": approved_key_message(author=author, reviewer=legal, title="Defect holding EN"),
        "defect_holding_fr": approved_key_message(
            author=author, reviewer=legal, title="Défaut : déclaration", language="fr"
        ),
        "leak_line": approved_key_message(
            author=author, reviewer=legal, title="Leak line to take", kind="line_to_take", topic="Data protection"
        ),
        "general_holding": approved_key_message(author=author, reviewer=legal, title="General holding EN"),
        "draft": make_key_message(author=author, title="Draft defect"),
        "expired": approved_key_message(
            author=author, reviewer=legal, title="Expired defect", valid_until=timezone.localdate() - timedelta(days=1)
        ),
    }
    active_playbook(
        author=lead2,
        approver=team_lead,
        title="Product defect",
        scenario="product_defect",
        key_messages=[km["defect_holding"], km["defect_holding_fr"], km["expired"]],
    )
    active_playbook(
        author=lead2, approver=team_lead, title="Data breach", scenario="data_breach", key_messages=[km["leak_line"]]
    )
    # A playbook whose only version is a draft does not file its key messages under its scenario.
    make_playbook(author=lead2, title="Draft outage", scenario="service_outage", key_messages=[km["general_holding"]])
    return km


def titles(rows):
    return [row.key_message.title for row in rows]


def test_same_category_and_language_first_other_category_lines_to_take_not_first(library, communicator):
    incident = IncidentFactory(category="product_defect")
    rows = rank_key_messages(communicator, incident=incident)
    assert titles(rows) == ["Defect holding EN", "General holding EN", "Leak line to take", "Défaut : déclaration"]
    assert [row.rank for row in rows] == [1, 2, 3, 4]
    assert rows[0].reason == "Same category (product defect), same language (English), holding statement"
    assert rows[0].fits and rows[0].same_category and rows[0].category == "product_defect"
    assert rows[1].reason == "General (in no playbook), same language (English), holding statement"
    assert rows[1].fits and rows[1].category is None
    assert rows[2].reason == (
        "Other category (data breach), same language (English), line to take (an internal instruction)"
    )
    assert not rows[2].fits
    assert rows[3].reason.endswith("other language (French), holding statement") and not rows[3].fits


def test_draft_and_expired_key_messages_are_never_offered(library, communicator):
    rows = rank_key_messages(communicator, incident=IncidentFactory(category="product_defect"))
    assert "Draft defect" not in titles(rows) and "Expired defect" not in titles(rows)


def test_the_requested_kind_comes_first_then_the_category(library, communicator):
    incident = IncidentFactory(category="data_breach")
    assert titles(rank_key_messages(communicator, incident=incident))[0] == "Leak line to take"
    rows = rank_key_messages(communicator, incident=incident, kind="holding_statement")
    # Drafting a holding statement: holding statements first (general before another category's), lines after.
    assert titles(rows) == ["General holding EN", "Defect holding EN", "Leak line to take", "Défaut : déclaration"]
    assert rows[0].fits and not rows[1].fits


def test_language_defaults_to_the_latest_statement_then_language_code(library, communicator, settings):
    from crisisdesk.review.tests.helpers import make_statement

    incident = IncidentFactory(category="product_defect")
    settings.LANGUAGE_CODE = "fr"
    assert incident_language(incident) == "fr"
    assert titles(rank_key_messages(communicator, incident=incident))[0] == "Défaut : déclaration"
    make_statement(author=communicator, incident=incident, language="en")
    assert incident_language(incident) == "en"
    assert titles(rank_key_messages(communicator, incident=incident))[0] == "Defect holding EN"
    assert titles(rank_key_messages(communicator, incident=incident, language="fr"))[0] == "Défaut : déclaration"


def test_reasons_are_translated(library, communicator):
    from django.utils import translation

    with translation.override("fr"):
        rows = rank_key_messages(communicator, incident=IncidentFactory(category="product_defect"))
    assert rows[0].reason != "Same category (product defect), same language (English), holding statement"


def test_the_hook_ranks_and_an_outsider_gets_nothing(library, communicator, outsider):
    incident = IncidentFactory(category="product_defect")
    assert titles(hooks.key_message_library().ranked(communicator, incident=incident))[0] == "Defect holding EN"
    assert hooks.key_message_library().ranked(outsider, incident=incident) == []


def test_ranking_costs_the_same_queries_for_1_and_20_key_messages(legal, communicator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    author = second_communicator()
    incident = IncidentFactory(category="product_defect")
    approved_key_message(author=author, reviewer=legal, title="KM 0")
    rank_key_messages(communicator, incident=incident)  # warms the user's permission cache
    with CaptureQueriesContext(connection) as one:
        assert len(rank_key_messages(communicator, incident=incident)) == 1
    for n in range(1, 20):
        approved_key_message(author=author, reviewer=legal, title=f"KM {n}")
    with CaptureQueriesContext(connection) as twenty:
        assert len(rank_key_messages(communicator, incident=incident)) == 20
    assert len(twenty) == len(one)


# --- API --------------------------------------------------------------------------------------------------------


def suggestions_url(incident):
    return reverse("api:incident-key-message-suggestions", kwargs={"reference": incident.reference})


def test_api_suggestions_ranked_with_reasons(api, library, communicator):
    incident = IncidentFactory(category="product_defect")
    response = api(communicator).get(suggestions_url(incident))
    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["title"] for row in body] == [
        "Defect holding EN",
        "General holding EN",
        "Leak line to take",
        "Défaut : déclaration",
    ]
    first = body[0]
    assert first == {
        "id": library["defect_holding"].pk,
        "title": "Defect holding EN",
        "kind": "holding_statement",
        "language": "en",
        "category": "product_defect",
        "reason": "Same category (product defect), same language (English), holding statement",
        "rank": 1,
        "fits": True,
    }
    assert body[1]["category"] is None
    ranked = api(communicator).get(suggestions_url(incident), {"kind": "line_to_take", "language": "en"}).json()
    assert ranked[0]["title"] == "Leak line to take"


def test_api_suggestions_refuse_bad_query_and_hide_from_outsiders(api, library, communicator, outsider, team_lead):
    incident = IncidentFactory(category="product_defect")
    response = api(communicator).get(suggestions_url(incident), {"kind": "memo"})
    assert response.status_code == 400 and "kind" in response.json()
    assert api(outsider).get(suggestions_url(incident)).status_code in (403, 404)
    hidden = IncidentFactory(category="product_defect", confidential=True)
    assert api(communicator).get(suggestions_url(hidden)).status_code == 404
    missing = IncidentFactory.build(reference="CD-2099-9999")
    assert api(communicator).get(suggestions_url(missing)).status_code == 404
