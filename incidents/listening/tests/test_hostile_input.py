"""Hostile mention input (issue 13): every bad field is a 400 naming it, never a 500 or a stored row
that breaks the inbox; bulk batches answer item by item; redeliveries are ranked by version."""

import json
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from crisisdesk.apikeys import services as key_services
from incidents.listening import parsing
from incidents.listening import services as mention_services
from incidents.listening.models import Mention, MentionTerm


def item(n=1, **extra):
    return {
        "platform": "x",
        "external_id": f"post-{n}",
        "text": f"Acme blender number {n} cracked",
        "posted_at": "2026-11-20T10:00:00Z",
        **extra,
    }


@pytest.fixture
def ingest_client(admin_user, communicator):
    _, raw_key = key_services.apikey_create(actor=admin_user, name="tool", scopes=["ingest", "read"], user=communicator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def post_raw(client, path, raw: str):
    """Post a JSON document as given (so lone surrogates, 1e400 and huge integers reach the parser)."""
    return client.post(path, data=raw.encode("utf-8"), content_type="application/json")


def single_error(response):
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    return error["field"], error["message"]


@pytest.mark.parametrize(
    "posted_at",
    [
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "1969-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "2026-11-20T10:00:00",  # no time zone
        "2026-02-30T10:00:00Z",
        "x" * 10_000,
    ],
)
def test_posted_at_out_of_range_or_without_zone_is_a_field_error_and_the_inbox_still_answers(
    ingest_client, client_for, communicator, posted_at
):
    assert single_error(ingest_client.post("/api/v1/mentions/", item(posted_at=posted_at), format="json"))[0] == (
        "posted_at"
    )
    assert Mention.objects.count() == 0
    assert ingest_client.get("/api/v1/mentions/").status_code == 200
    assert client_for(communicator).get("/mentions/").status_code == 200


def test_posted_at_bounds_are_inclusive_of_1970_and_exclusive_of_2100(ingest_client):
    assert (
        ingest_client.post("/api/v1/mentions/", item(1, posted_at="1970-01-01T00:00:00Z"), format="json").status_code
        == 200
    )
    late = item(2, posted_at="2099-12-31T23:59:59.999999Z", edited_at="2099-12-31T23:59:59+00:00")
    assert ingest_client.post("/api/v1/mentions/", late, format="json").status_code == 200
    assert (
        single_error(ingest_client.post("/api/v1/mentions/", item(3, edited_at="1900-01-01T00:00:00Z"), format="json"))[
            0
        ]
        == "edited_at"
    )


def test_database_refuses_an_out_of_range_posting_time(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Mention.objects.create(platform="x", external_id="1", text="t", posted_at=datetime(1960, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("name", ["text", "author", "external_id", "language", "url", "platform"])
def test_nul_byte_in_any_text_field_is_a_field_error(ingest_client, name):
    value = "https://example.org/a\x00b" if name == "url" else "ab\x00c"
    field, _ = single_error(ingest_client.post("/api/v1/mentions/", item(**{name: value}), format="json"))
    assert field == name
    assert Mention.objects.count() == 0


@pytest.mark.parametrize("name", ["text", "author", "external_id"])
def test_lone_surrogate_is_a_field_error(ingest_client, name):
    body = item()
    body.pop(name, None)
    raw = json.dumps(body)[:-1] + f', "{name}": "bad \\ud800 here"}}'
    field, message = single_error(post_raw(ingest_client, "/api/v1/mentions/", raw))
    assert (field, "surrogate" in message) == (name, True)


@pytest.mark.parametrize("raw", ["9223372036854775808", "1e30", "1e300", "1e400", "9007199254740993", "12.7", "true"])
def test_audience_that_is_not_a_safe_integer_is_refused(ingest_client, raw):
    body = json.dumps(item())[:-1] + f', "audience": {raw}}}'
    assert single_error(post_raw(ingest_client, "/api/v1/mentions/", body))[0] == "audience"
    assert Mention.objects.count() == 0


@pytest.mark.parametrize("value", ["12.5", "abc", " ", "1_000", "١٢", 12.0, -1, [1], {"n": 1}, False])
def test_audience_strings_floats_and_others_are_refused(value):
    with pytest.raises(parsing.ItemError) as caught:
        parsing.parse_mention(item(audience=value))
    assert caught.value.field == "audience"


def test_audience_accepts_integers_and_digit_strings_up_to_2_53(db):
    assert parsing.parse_mention(item(audience=2**53)).audience == 2**53
    assert parsing.parse_mention(item(audience="12")).audience == 12
    assert parsing.parse_mention(item(audience="")).audience == 0


def test_text_and_author_lengths_are_bounded(ingest_client):
    assert ingest_client.post("/api/v1/mentions/", item(1, text="a" * 20_000), format="json").status_code == 200
    field, message = single_error(ingest_client.post("/api/v1/mentions/", item(2, text="a" * 2_000_000), format="json"))
    assert (field, message) == ("text", "At most 20000 characters.")
    assert (
        single_error(ingest_client.post("/api/v1/mentions/", item(3, author="a" * 201), format="json"))[0] == "author"
    )
    long_url = "https://example.org/" + "a" * 1000
    assert single_error(ingest_client.post("/api/v1/mentions/", item(4, url=long_url), format="json"))[0] == "url"
    assert Mention.objects.count() == 1


@pytest.mark.parametrize("external_id", [{"a": 1}, [1, 2], 1.0, True, None, "", "   "])
def test_external_id_must_be_a_non_empty_string_or_an_integer(ingest_client, external_id):
    assert single_error(ingest_client.post("/api/v1/mentions/", item(external_id=external_id), format="json"))[0] == (
        "external_id"
    )
    assert Mention.objects.count() == 0


@pytest.mark.parametrize(("external_id", "stored"), [(0, "0"), (42, "42"), ("0", "0")])
def test_external_id_zero_and_integers_are_valid(ingest_client, external_id, stored):
    response = ingest_client.post("/api/v1/mentions/", item(external_id=external_id), format="json")
    assert response.status_code == 200
    assert response.json()["external_id"] == stored


def test_unknown_fields_are_refused_by_name(ingest_client):
    field, message = single_error(
        ingest_client.post("/api/v1/mentions/", item(audiance=3, postedAt="x"), format="json")
    )
    assert "audiance" in field and "postedAt" in field
    assert "audiance" in message and "postedAt" in message
    assert Mention.objects.count() == 0


@pytest.mark.parametrize("name", ["\\ud800", "", "\\u0000", "x" * 500])
def test_unknown_field_names_are_echoed_safely(ingest_client, name):
    raw = json.dumps(item())[:-1] + f', "{name}": 1}}'
    field, message = single_error(post_raw(ingest_client, "/api/v1/mentions/", raw))
    assert message.startswith("Unknown field(s):")
    assert len(field) <= 60
    field.encode("utf-8")


@pytest.mark.parametrize("value", [True, "nan", "inf", "1e400", 2, [0.5]])
def test_sentiment_must_be_a_finite_number_between_minus_one_and_one(value):
    with pytest.raises(parsing.ItemError) as caught:
        parsing.parse_mention(item(sentiment=value))
    assert caught.value.field == "sentiment"


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "https://example.org/a\x01b", "https://exa mple.org/", "https:///path", "ftp://x.org/"],
)
def test_url_must_be_a_plain_http_link(url):
    with pytest.raises(parsing.ItemError) as caught:
        parsing.parse_mention(item(url=url))
    assert caught.value.field == "url"


def test_single_endpoint_refuses_a_list(ingest_client):
    response = ingest_client.post("/api/v1/mentions/", [item(1), item(2)], format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "non_field_errors"
    assert Mention.objects.count() == 0


@pytest.mark.parametrize("body", ['"text"', "42", "null", '{"mentions": "x"}', '{"mentions": []}', "[]"])
def test_malformed_bulk_body_is_a_400(ingest_client, body):
    assert post_raw(ingest_client, "/api/v1/mentions/bulk/", body).status_code == 400
    assert Mention.objects.count() == 0


def test_bulk_of_200_with_one_bad_item_stores_the_199_and_answers_every_item_in_order(ingest_client):
    batch = [item(n) for n in range(200)]
    batch[137]["posted_at"] = "9999-12-31T23:59:59-05:00"
    body = ingest_client.post("/api/v1/mentions/bulk/", {"mentions": batch}, format="json").json()
    assert [r["index"] for r in body["results"]] == list(range(200))
    assert body["results"][137] == {
        "index": 137,
        "status": "rejected",
        "field": "posted_at",
        "message": "Must be between 1970-01-01 and 2100-01-01.",
    }
    assert (body["created"], body["rejected"], body["stored"]) == (199, 1, 199)
    assert Mention.objects.count() == 199


def test_duplicate_in_one_batch_is_rejected_and_the_first_copy_stored(ingest_client):
    batch = [item(1, text="first"), item(2), item(1, text="second")]
    results = ingest_client.post("/api/v1/mentions/bulk/", batch, format="json").json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "rejected"]
    assert results[2]["field"] == "external_id"
    assert "Duplicate in this batch" in results[2]["message"]
    assert Mention.objects.get(external_id="post-1").text == "first"


def bulk(client, *items):
    return [r["status"] for r in client.post("/api/v1/mentions/bulk/", list(items), format="json").json()["results"]]


def test_a_newer_edit_wins_and_an_older_copy_arriving_late_is_unchanged(ingest_client, team_lead):
    acme = mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")
    original = item(1, text="Acme jar cracked")
    edit = item(1, text="Edited: all fine", edited_at="2026-11-20T12:00:00+01:00")
    assert bulk(ingest_client, edit) == ["created"]
    # The original (older version) arrives after its edit: it must not overwrite it.
    assert bulk(ingest_client, original) == ["unchanged"]
    mention = Mention.objects.get()
    assert (mention.text, mention.edited_at) == ("Edited: all fine", datetime(2026, 11, 20, 11, tzinfo=UTC))
    assert not MentionTerm.objects.filter(watch_term=acme).exists()
    # An even later edit wins; the same copy again is unchanged.
    later = item(1, text="Acme answered us", edited_at="2026-11-20T13:00:00Z")
    assert bulk(ingest_client, later) == ["updated"]
    assert bulk(ingest_client, later) == ["unchanged"]
    assert Mention.objects.get().text == "Acme answered us"
    assert MentionTerm.objects.filter(watch_term=acme).count() == 1


def test_without_edited_at_the_later_posted_at_is_the_newer_version(ingest_client):
    assert bulk(ingest_client, item(1, text="v2", posted_at="2026-11-20T11:00:00Z")) == ["created"]
    assert bulk(ingest_client, item(1, text="v1", posted_at="2026-11-20T10:00:00Z")) == ["unchanged"]
    assert bulk(ingest_client, item(1, text="v3", posted_at="2026-11-20T12:00:00Z")) == ["updated"]
    # Same version with a change (a corrected resend) replaces it.
    assert bulk(ingest_client, item(1, text="v3 fixed", posted_at="2026-11-20T12:00:00Z")) == ["updated"]
    assert Mention.objects.get().text == "v3 fixed"


def test_version_rule_of_the_service_matches_for_mixed_batches(ingest_client):
    assert bulk(ingest_client, item(1), item(2, posted_at="2026-11-20T11:00:00Z")) == ["created", "created"]
    statuses = bulk(
        ingest_client,
        item(1),  # identical
        item(2, text="older", posted_at="2026-11-20T10:59:00Z"),  # older
        item(3),  # new
        item(1, external_id="post-2", text="edited", edited_at="2026-11-21T00:00:00Z"),  # duplicate of index 1
    )
    assert statuses == ["unchanged", "unchanged", "created", "rejected"]
    assert Mention.objects.get(external_id="post-2").text == "Acme blender number 2 cracked"
