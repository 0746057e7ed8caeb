"""Mention ingest: idempotent single and bulk API, per-item batch results, CSV import with line numbers."""

import io
import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from crisisdesk.apikeys import services as key_services
from incidents.listening import csv_import, parsing
from incidents.listening import services as mention_services
from incidents.listening.models import Mention, MentionStatus, MentionTerm, WatchTerm


def item(n, **extra):
    return {
        "platform": "x",
        "external_id": f"post-{n}",
        "text": f"Acme blender number {n} cracked, dangerous!",
        "posted_at": "2026-11-20T10:00:00Z",
        "author": "@someone",
        "audience": 1200,
        **extra,
    }


@pytest.fixture
def ingest_client(admin_user, communicator):
    _, raw_key = key_services.apikey_create(actor=admin_user, name="tool", scopes=["ingest", "read"], user=communicator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


@pytest.fixture
def acme(team_lead):
    return mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")


def test_same_batch_twice_gives_the_same_rows(ingest_client, acme):
    batch = {"mentions": [item(n) for n in range(5)]}
    body = ingest_client.post("/api/v1/mentions/bulk/", batch, format="json").json()
    assert (body["stored"], body["created"], body["updated"], body["unchanged"], body["rejected"]) == (5, 5, 0, 0, 0)
    first = sorted(Mention.objects.values_list("pk", "platform", "external_id", "text"))
    again = ingest_client.post("/api/v1/mentions/bulk/", batch, format="json")
    assert again.status_code == 200
    assert [r["status"] for r in again.json()["results"]] == ["unchanged"] * 5
    assert sorted(Mention.objects.values_list("pk", "platform", "external_id", "text")) == first
    assert MentionTerm.objects.filter(watch_term=acme).count() == 5


def test_redelivery_updates_source_fields_but_keeps_triage(ingest_client, communicator, acme):
    ingest_client.post("/api/v1/mentions/", item(1), format="json")
    mention = Mention.objects.get()
    mention_services.mentions_set_status(actor=communicator, mentions=[mention], status=MentionStatus.IGNORED)
    ingest_client.post("/api/v1/mentions/", item(1, text="Edited: all good now", audience=5), format="json")
    mention.refresh_from_db()
    assert (mention.text, mention.audience, mention.status) == ("Edited: all good now", 5, MentionStatus.IGNORED)
    # The edit no longer names the brand: the match is gone.
    assert not MentionTerm.objects.filter(mention=mention).exists()


def test_a_batch_records_its_source_origin_and_arrival_on_every_row(db):
    from incidents.listening.sources.models import Source

    origin = Source.objects.create(name="Feed", kind="rss", config={"url": "https://news.example/feed"})
    result, _results = mention_services.mentions_ingest_items(
        items=[item(n) for n in range(3)], source="feed", origin_id=origin.pk
    )
    rows = list(Mention.objects.values_list("source", "origin_id", "received_at", "updated_at"))
    assert len(rows) == 3
    assert {(source, origin_id) for source, origin_id, *_times in rows} == {("feed", origin.pk)}
    assert all(received_at and updated_at for _source, _origin, received_at, updated_at in rows)
    assert result.count(mention_services.CREATED) == 3


def test_same_external_id_on_another_platform_is_another_mention(ingest_client):
    ingest_client.post("/api/v1/mentions/bulk/", [item(1), item(1, platform="facebook")], format="json")
    assert Mention.objects.count() == 2


def test_bulk_with_bad_items_stores_the_good_ones_and_names_index_and_field_of_the_bad(ingest_client):
    # Was all-or-nothing (400, nothing stored); issue 13 asks for per-item results.
    batch = [item(0), item(1, posted_at="yesterday"), item(2), item(3, audience=-4), {"platform": "x"}]
    response = ingest_client.post("/api/v1/mentions/bulk/", {"mentions": batch}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["index"], r["status"], r.get("field")) for r in results] == [
        (0, "created", None),
        (1, "rejected", "posted_at"),
        (2, "created", None),
        (3, "rejected", "audience"),
        (4, "rejected", "external_id"),
    ]
    assert set(Mention.objects.values_list("external_id", flat=True)) == {"post-0", "post-2"}
    assert {r["id"] for r in results if "id" in r} == set(Mention.objects.values_list("pk", flat=True))


def test_single_bad_mention_is_400(ingest_client):
    response = ingest_client.post("/api/v1/mentions/", item(1, url="not a url"), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"index": 0, "field": "url", "message": "Enter a valid http(s) URL."}]


def test_batch_size_is_limited(ingest_client):
    response = ingest_client.post("/api/v1/mentions/bulk/", [item(n) for n in range(1001)], format="json")
    assert response.status_code == 400
    assert Mention.objects.count() == 0


def test_supplied_sentiment_wins_over_builtin(ingest_client):
    ingest_client.post("/api/v1/mentions/bulk/", [item(1), item(2, sentiment=0.9)], format="json")
    builtin, supplied = Mention.objects.order_by("external_id")
    assert (builtin.sentiment_label, builtin.sentiment_source) == ("negative", "builtin")
    assert (supplied.sentiment, supplied.sentiment_label, supplied.sentiment_source) == (0.9, "positive", "supplied")


def test_missing_language_is_detected_stored_and_only_en_fr_scored(ingest_client):
    batch = [
        item(1, text="Acme ne répond pas, service client nul"),
        item(2, text="El servicio de Acme es terrible, horrible, nunca responden"),
        item(3, text="Acme blender cracked, terrible", language="en"),
    ]
    assert ingest_client.post("/api/v1/mentions/bulk/", batch, format="json").status_code == 200
    fr, es, en = Mention.objects.order_by("external_id")
    assert (fr.language, fr.sentiment_label) == ("fr", "negative")
    # Spanish has no lexicon: unscored rather than scored by the English one.
    assert (es.language, es.sentiment, es.sentiment_label) == ("es", None, "neutral")
    assert (en.language, en.sentiment_label) == ("en", "negative")


def test_users_without_ingest_permission_are_refused(client_for, observer, outsider):
    assert client_for(observer).post("/api/v1/mentions/", item(1), content_type="application/json").status_code == 403
    assert client_for(outsider).post("/api/v1/mentions/", item(1), content_type="application/json").status_code == 403
    assert Mention.objects.count() == 0


def test_watch_terms_match_whole_words_and_hashtags(acme, team_lead):
    tag = mention_services.watch_term_add(actor=team_lead, term="#AcmeFail", kind="hashtag")
    mentions, errors = parsing.parse_batch(
        [item(1, text="acme's jar"), item(2, text="Acmeplex cinema"), item(3, text="so #acmefail today")]
    )
    assert errors == []
    mention_services.mentions_ingest(mentions=mentions, source="api")
    matched = dict(MentionTerm.objects.values_list("mention__external_id", "watch_term_id"))
    assert matched == {"post-1": acme.pk, "post-3": tag.pk}
    assert WatchTerm.objects.count() == 2


CSV = """platform,external_id,text,posted_at,audience
x,a1,Acme jar cracked,2026-11-20T10:00:00Z,10
x,a2,,2026-11-20T10:00:00Z,10
x,a3,"Multi
line text",2026-11-20T10:01:00Z,3
x,a4,Fine,not-a-date,3
x,a5,Great support,2026-11-20T10:02:00Z,lots
x,a6,Good,2026-11-20T10:03:00Z,1
"""


def test_csv_import_stores_good_rows_and_reports_bad_lines(db):
    result = csv_import.mentions_import_csv(actor=None, lines=io.StringIO(CSV))
    assert result.stored == 3
    assert [(line, field) for line, field, _ in result.errors] == [(3, "text"), (6, "posted_at"), (7, "audience")]
    assert set(Mention.objects.values_list("external_id", flat=True)) == {"a1", "a3", "a6"}


def test_csv_command_prints_bad_lines(db, tmp_path):
    path = tmp_path / "mentions.csv"
    path.write_text(CSV, encoding="utf-8")
    out = io.StringIO()
    call_command("import_mentions", str(path), stdout=out, stderr=io.StringIO())
    assert "line 3: text" in out.getvalue()
    assert "Imported 3 mention(s); 3 bad row(s)." in out.getvalue()
    # Importing again is idempotent.
    call_command("import_mentions", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert Mention.objects.count() == 3


def test_csv_without_required_columns_reports_the_header(db):
    result = csv_import.mentions_import_csv(actor=None, lines=io.StringIO("platform,text\nx,hi\n"))
    assert result.stored == 0
    assert result.errors[0][0] == 1


def test_demo_mentions_seed_is_idempotent(db):
    from incidents.demo import seed as demo_data

    users = demo_data.ensure_users()
    assert demo_data.seed_mentions(users=users) == 360
    assert demo_data.seed_mentions(users=users) == 360
    assert Mention.objects.filter(platform="demo").count() == 360
    assert MentionTerm.objects.filter(watch_term__term="Acme").exists()


def test_api_list_filters_and_query_count_is_flat(ingest_client, communicator, client_for, acme):
    ingest_client.post("/api/v1/mentions/bulk/", [item(0)], format="json")
    client = client_for(communicator)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/mentions/").status_code == 200
    ingest_client.post("/api/v1/mentions/bulk/", [item(n) for n in range(1, 50)], format="json")
    with CaptureQueriesContext(connection) as fifty:
        response = client.get("/api/v1/mentions/")
    assert len(response.json()["results"]) == 50
    assert len(fifty.captured_queries) == len(one.captured_queries)
    filtered = client.get("/api/v1/mentions/", {"sentiment": "positive"}).json()["results"]
    assert filtered == []
    assert client.get("/api/v1/mentions/", {"term": acme.pk}).json()["results"][0]["watch_terms"] == ["Acme"]


def test_api_triage_links_an_incident(ingest_client, communicator, client_for, incident):
    ingest_client.post("/api/v1/mentions/bulk/", [item(1), item(2)], format="json")
    ids = list(Mention.objects.values_list("pk", flat=True))
    response = client_for(communicator).post(
        "/api/v1/mentions/triage/", {"ids": ids, "incident": incident.reference}, content_type="application/json"
    )
    assert response.json() == {"changed": 2}
    assert Mention.objects.filter(incident=incident, status=MentionStatus.TRIAGED).count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bench_ingest_reports_throughput_and_alert_latency():
    from crisisdesk.bench_ingest import bench_ingest

    # In-process and eager here (the suite's test database is not one a gunicorn process could
    # use); requests really commit, so each one's spike evaluation runs after it, in the request.
    lines = bench_ingest(total=2000, seed=1, transport="inprocess", alert_timeout=5)
    assert lines[0].startswith("Bulk ingest (in-process through django.test.Client, one at a time): 2,000 mentions")
    assert "in 2 requests of 1,000" in lines[0]
    assert Mention.objects.filter(external_id__startswith="bench-").count() == 2000 + 1000
    assert "created 0 duplicate(s)" in lines[2]
    assert re.match(r"Spike mention to alert: \d+\.\d\d s \(tasks eager, in the request\)$", lines[3]), lines[3]
