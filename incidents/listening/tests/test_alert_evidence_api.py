"""``GET /api/v1/alerts/{id}/mentions/``: the alert page's evidence sample, per persona, without hidden mentions."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.listening import services as mention_services
from incidents.listening.models import Alert, Mention

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(team_lead):
    acme = mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")
    return mention_services.spike_rule_save(actor=team_lead, data={"name": "Acme spike", "watch_term": acme})


def make_mention(n, *, sentiment=0.0, incident=None) -> Mention:
    return Mention.objects.create(
        platform="x",
        external_id=f"m-{n}",
        text=f"Acme {n}",
        posted_at=timezone.now(),
        sentiment=sentiment,
        incident=incident,
    )


def make_alert(rule, mention_ids, *, incident=None) -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        rule=rule,
        watch_term=rule.watch_term,
        fired_at=now,
        window_start=now - timedelta(hours=1),
        window_end=now,
        count=len(mention_ids),
        baseline=1.0,
        negative_share=0.5,
        baseline_negative_share=0.1,
        evidence={"mention_ids": mention_ids, "curve": []},
        incident=incident,
    )


def url(alert) -> str:
    return f"/api/v1/alerts/{alert.pk}/mentions/"


@pytest.mark.parametrize("persona", ["communicator", "legal", "observer", "team_lead"])
def test_readers_get_the_sample_most_negative_first(api, persona, rule):
    mild, angry = make_mention(1, sentiment=-0.1), make_mention(2, sentiment=-0.9)
    make_mention(3)  # not in the evidence
    alert = make_alert(rule, [mild.pk, angry.pk])
    response = api(persona).get(url(alert))
    assert response.status_code == 200
    assert [m["id"] for m in response.json()] == [angry.pk, mild.pk]
    assert response.json()[0]["text"] == "Acme 2"


def test_outsider_gets_404(api, rule):
    alert = make_alert(rule, [make_mention(1).pk])
    assert api("outsider").get(url(alert)).status_code == 404


def test_mentions_of_a_hidden_incident_are_left_out(api, rule, confidential_incident):
    public, secret = make_mention(1), make_mention(2, incident=confidential_incident)
    alert = make_alert(rule, [public.pk, secret.pk])
    assert [m["id"] for m in api("communicator").get(url(alert)).json()] == [public.pk]
    assert {m["id"] for m in api("team_lead").get(url(alert)).json()} == {public.pk, secret.pk}


def test_alert_on_a_hidden_incident_answers_like_a_missing_one(api, rule, confidential_incident):
    alert = make_alert(rule, [make_mention(1).pk], incident=confidential_incident)
    hidden = api("communicator").get(url(alert))
    missing = api("communicator").get("/api/v1/alerts/999999/mentions/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert api("team_lead").get(url(alert)).status_code == 200


def test_malformed_evidence_reads_as_an_empty_sample(api, rule):
    alert = make_alert(rule, ["x", None, {"id": 1}, True, 10**30, -1])
    response = api("observer").get(url(alert))
    assert response.status_code == 200 and response.json() == []


def test_sample_query_count_is_flat(api, rule):
    acme = rule.watch_term
    first = make_mention(0)
    first.term_matches.create(watch_term=acme, posted_at=first.posted_at)
    one_alert = make_alert(rule, [first.pk])
    client = api("communicator")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url(one_alert)).json()) == 1
    mentions = [make_mention(n) for n in range(1, 50)]
    for mention in mentions:
        mention.term_matches.create(watch_term=acme, posted_at=mention.posted_at)
    many_alert = make_alert(rule, [first.pk, *(m.pk for m in mentions)])
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url(many_alert)).json()) == 50
    assert len(many) == len(one)
