"""Building the record costs the same bounded number of queries for 1 statement as for 20."""

import pytest

from crisisdesk.review import services as review
from incidents.listening.tests.alert_helpers import make_alert, make_rule
from incidents.statements.services import statement_create, statement_record_url, statement_update
from postmortems.evidence.record import build_record

pytestmark = pytest.mark.django_db
MAX_QUERIES = 14  # one per kind of row (see record.py), whatever the number of rows


def published_statements(incident, *, communicator, legal, count):
    for n in range(count):
        statement = statement_create(
            actor=communicator, incident=incident, title=f"Update {n}", body=f"Draft {n}", channels=["x"]
        )
        statement = statement_update(actor=communicator, statement=statement, body=f"Update {n}: refunds today.")
        review.review_submit(actor=communicator, item=statement)
        statement.refresh_from_db()
        review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
        review.review_publish(actor=communicator, item=statement)
        statement_record_url(actor=communicator, statement=statement, channel="x", url=f"https://x.example/{n}")


@pytest.mark.parametrize("count", [1, 20])
def test_record_queries_stay_flat(count, incident, communicator, legal, team_lead, django_assert_max_num_queries):
    published_statements(incident, communicator=communicator, legal=legal, count=count)
    rule = make_rule(team_lead)
    for _n in range(count):
        make_alert(rule, mentions=2, incident=incident)
    build_record(incident)  # warm the content type cache, as any running server has
    with django_assert_max_num_queries(MAX_QUERIES):
        record = build_record(incident)
    assert len(record["statements"]) == count
    assert all(len(s["revisions"]) == 2 and len(s["decisions"]) == 1 for s in record["statements"])
    assert all(s["publications"][0]["url"].startswith("https://x.example/") for s in record["statements"])
    assert [len(a["evidence_mentions"]) for a in record["alerts"]] == [2] * count
