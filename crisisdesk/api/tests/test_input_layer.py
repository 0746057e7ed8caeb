"""The shared input layer: the strict parsers, the body limits, the strict serializer mixin everywhere."""

import json
from io import BytesIO

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import RequestFactory
from django.urls import get_resolver
from rest_framework import serializers
from rest_framework.exceptions import ParseError

from crisisdesk.api.exceptions import exception_handler
from crisisdesk.api.parsers import MAX_JSON_DEPTH, ItemwiseJSONParser, StrictJSONParser
from crisisdesk.api.serializers import StrictInputMixin
from crisisdesk.request_guard import too_big_or_bad_request
from incidents.listening.api.views import MAX_BULK_BODY
from incidents.listening.models import MENTION_TEXT_MAX
from incidents.models import Incident

# Serializers with writable-looking fields that are only ever rendered, never fed a request body.
# Response bodies only (documented in the schema, never read from a request).
OUTPUT_ONLY = {
    "KeyMessageSuggestionSerializer",
    "AlertCurvePointSerializer",
    "AlertEvidenceSerializer",
    "QueueEntrySerializer",
    "BulkItemResultSerializer",
    "BulkResultSerializer",
    "ResponseClockSerializer",
    "ResponseBoardSerializer",
    "WhoToCallSerializer",
}


def parse(text: str):
    return StrictJSONParser().parse(BytesIO(text.encode("utf-8", "surrogatepass")), parser_context={})


def test_every_input_serializer_is_strict():
    """A serializer that accepts input without ``StrictInputMixin`` would let NUL, 12.7 or unknown keys through."""
    assert get_resolver().url_patterns  # imports every app's API modules

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    lax = []
    for cls in set(walk(serializers.BaseSerializer)):
        if cls.__module__.split(".")[0] not in ("incidents", "playbooks", "postmortems", "crisisdesk"):
            continue
        if cls.__name__ in OUTPUT_ONLY or issubclass(cls, StrictInputMixin):
            continue
        if any(not field.read_only for field in cls().fields.values()):
            lax.append(f"{cls.__module__}.{cls.__name__}")
    assert lax == []


@pytest.mark.parametrize(
    "text,path",
    [
        ('{"mentions": [{}, {}, {}, {"text": "a\\u0000"}]}', "mentions[3].text"),
        ('{"title": "\\ud800"}', "title"),
        ('{"a": {"b\\u0000": 1}}', "a"),
        ('{"steps": [{"within_minutes": 1e400}]}', "steps[0].within_minutes"),
    ],
)
def test_parser_names_the_path_of_the_refused_value(text, path):
    with pytest.raises(ParseError) as refused:
        parse(text)
    assert refused.value.detail["path"] == path


def test_parser_accepts_the_maximum_depth_and_refuses_one_more():
    assert parse("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    with pytest.raises(ParseError, match="nested too deeply"):
        parse("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))


def test_the_itemwise_parser_checks_depth_below_every_item_and_leaves_strings_to_the_validator():
    def itemwise(text):
        return ItemwiseJSONParser().parse(BytesIO(text.encode()), parser_context={})

    # Depth is counted through dicts and lists alike, past scalars the parser does not visit.
    deep = '{"mentions": [1, "x", {"a": 1, "b": ' + "[" * (MAX_JSON_DEPTH - 3) + "]" * (MAX_JSON_DEPTH - 3) + "}]}"
    deeper = '{"mentions": [1, "x", {"a": 1, "b": ' + "[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2) + "}]}"
    assert itemwise(deep)["mentions"][2]["a"] == 1
    with pytest.raises(ParseError) as refused:
        itemwise(deeper)
    assert refused.value.detail["path"] == "mentions[2].b" + "[0]" * (MAX_JSON_DEPTH - 3)
    assert itemwise('{"mentions": [{"text": "a\\u0000", "n": 1e400}]}')["mentions"][0]["n"] == float("inf")


@pytest.mark.parametrize("text", ["NaN", '{"a": Infinity}', "-Infinity", "1" * 41, '{"a": "\\udc00x"}'])
def test_parser_refuses_what_no_field_can_hold(text):
    with pytest.raises(ParseError):
        parse(text)


def test_parser_keeps_ordinary_documents():
    text = '{"title": "Crème brûlée 🍮", "n": 9223372036854775808, "x": 1.5, "l": [null, true]}'
    assert parse(text) == json.loads(text)


def test_invalid_utf8_is_a_parse_error():
    with pytest.raises(ParseError):
        StrictJSONParser().parse(BytesIO(b'{"title": "\xed\xa0\x80"}'), parser_context={})


def test_request_data_too_big_is_a_413_for_the_api_and_the_browser():
    request = RequestFactory().post("/incidents/new/")
    assert too_big_or_bad_request(request, RequestDataTooBig()).status_code == 413
    assert too_big_or_bad_request(request, ValueError()).status_code == 400
    assert exception_handler(RequestDataTooBig(), {}).status_code == 413


def test_form_encoded_api_body_gets_the_same_string_checks(api, db):
    response = api("communicator").post(
        "/api/v1/incidents/", "title=a%00b&severity=2", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json()["path"] == "title"
    assert not Incident.objects.exists()


def test_browsable_api_form_with_its_csrf_token_is_accepted(api, db):
    response = api("communicator").post(
        "/api/v1/incidents/",
        "title=Jar&severity=2&csrfmiddlewaretoken=abc",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201, response.content
    unknown = api("communicator").post(
        "/api/v1/incidents/", "title=Jar&severity=2&colour=red", content_type="application/x-www-form-urlencoded"
    )
    assert unknown.status_code == 400 and "colour" in unknown.json()


def test_browser_form_body_over_the_cap_is_a_plain_413(client, communicator):
    client.force_login(communicator)
    response = client.post("/incidents/new/", {"title": "x" * 2_700_000})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")
    assert not Incident.objects.exists()


@pytest.mark.parametrize("title", ["%ED%A0%80", "a%00b", "%C0%80", "%FF%FE"])
def test_browser_form_with_a_lone_surrogate_or_nul_is_no_500(client, communicator, title):
    """Form bodies are bytes: a UTF-8-encoded surrogate is invalid UTF-8, decoded with replacement; NUL is refused."""
    client.force_login(communicator)
    response = client.post(
        "/incidents/new/", f"title={title}&category=other&severity=2", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (200, 302)
    if title == "a%00b":
        assert response.status_code == 200 and not Incident.objects.exists()
    for incident in Incident.objects.all():
        incident.title.encode("utf-8")  # whatever was stored is valid text


def maximal_mention(index: int, letter: str = "t") -> dict:
    return {
        "platform": "p" * 32,
        "external_id": f"{index:0200d}",
        "text": letter * MENTION_TEXT_MAX,
        "posted_at": "2026-11-20T14:03:00.000000+00:00",
        "author": "a" * 200,
        "audience": 2**31 - 1,
        "url": "https://x.com/" + "u" * 986,
        "language": "l" * 8,
        "sentiment": -0.123456789012345,
    }


@pytest.mark.parametrize("letter,ensure_ascii", [("t", True), ("é", False)])
def test_bulk_limit_holds_a_maximal_batch(letter, ensure_ascii):
    """1,000 mentions at every field's maximum fit the bulk endpoint's limit (ASCII text, and 2-byte UTF-8 text)."""
    body = json.dumps({"mentions": [maximal_mention(i, letter) for i in range(1000)]}, ensure_ascii=ensure_ascii)
    assert len(body.encode()) < MAX_BULK_BODY


def test_bulk_endpoint_takes_more_than_the_default_cap_and_refuses_past_its_own(api, db):
    client = api("team_lead")
    big = json.dumps({"mentions": [maximal_mention(i) for i in range(300)]})
    assert len(big) > 2_621_440
    assert client.post("/api/v1/mentions/bulk/", big, content_type="application/json").status_code not in (413, 500)
    assert client.post("/api/v1/mentions/", big, content_type="application/json").status_code == 413
    response = client.post(
        "/api/v1/mentions/bulk/", "{}", content_type="application/json", CONTENT_LENGTH=str(MAX_BULK_BODY + 1)
    )
    assert response.status_code == 413
    assert response.json()["limit"] == MAX_BULK_BODY
