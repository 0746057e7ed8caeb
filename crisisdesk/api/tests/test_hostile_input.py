"""Hostile input on the write endpoints of every app: always a 400 (or 403/413) naming the field, never a 500,
never a partial write.

Payloads are sent as raw JSON text, as a fuzzer would: ``\\ud800`` as a JSON escape, ``1e400`` as a
number literal. Each endpoint is tried as the persona who may write there and as one who may not
(an observer): the input layer answers both before any lookup or write.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps

from crisisdesk.testing.factories import IncidentFactory
from incidents.listening import services as mention_services
from postmortems.tests.helpers import resolved_review

HUGE_NUMBERS = ["9223372036854775808", "2147483648", "-2147483649", "1e30", "1e300", "1e400", "-1e400"]
NOT_INTEGERS = ["12.7", "true", "false", '"12abc"', '"1e3"', "[1]", '{"n": 1}']
NOT_STRINGS = ['{"a": 1}', '["a", "b"]', "12", "12.5", "true"]


@dataclass
class Endpoint:
    method: str
    url: Callable
    payload: Callable
    writer: str
    text: str  # a string field
    integer: str | None = None  # an integer field, if any
    reference: str | None = None  # a field looked up in the database by a string


ENDPOINTS = {
    "incident-create": Endpoint(
        "post",
        lambda ctx: "/api/v1/incidents/",
        lambda ctx: {"title": "Blender jar", "category": "product_defect", "severity": 2},
        "communicator",
        text="title",
    ),
    "incident-patch": Endpoint(
        "patch",
        lambda ctx: f"/api/v1/incidents/{ctx.incident.reference}/",
        lambda ctx: {"summary": "What happened."},
        "communicator",
        text="summary",
    ),
    "fact-create": Endpoint(
        "post",
        lambda ctx: "/api/v1/facts/",
        lambda ctx: {"incident": ctx.incident.reference, "claim": "Batch 42 is affected."},
        "communicator",
        text="claim",
        reference="incident",
    ),
    "note": Endpoint(
        "post",
        lambda ctx: f"/api/v1/incidents/{ctx.incident.reference}/notes/",
        lambda ctx: {"body": "Called the plant.", "kind": "note"},
        "communicator",
        text="body",
    ),
    "statement-create": Endpoint(
        "post",
        lambda ctx: "/api/v1/statements/",
        lambda ctx: {
            "incident": ctx.incident.reference,
            "title": "Holding",
            "body": "We know.",
            "channels": ["website"],
        },
        "communicator",
        text="body",
        reference="incident",
    ),
    "key-message-create": Endpoint(
        "post",
        lambda ctx: "/api/v1/key-messages/",
        lambda ctx: {"topic": "Recall", "title": "Holding line", "body": "We are looking into it."},
        "communicator",
        text="body",
    ),
    "playbook-create": Endpoint(
        "post",
        lambda ctx: "/api/v1/playbooks/",
        lambda ctx: {"title": "Product recall", "trigger_criteria": "A defect.", "steps": [{"title": "Call QA"}]},
        "team_lead",
        text="trigger_criteria",
        integer="steps.0.within_minutes",
    ),
    "action-item-create": Endpoint(
        "post",
        lambda ctx: "/api/v1/action-items/",
        lambda ctx: {
            "review": ctx.review.pk,
            "title": "Size check",
            "owner": ctx.people["communicator"].pk,
            "due_date": "2027-01-01",
        },
        "team_lead",
        text="title",
        integer="review",
    ),
    "webhook-subscription-create": Endpoint(
        "post",
        lambda ctx: "/api/v1/webhooks/subscriptions/",
        lambda ctx: {"name": "Chat", "url": "https://chat.example.org/hook", "event_types": ["incident.opened"]},
        "team_lead",
        text="name",
    ),
    "watch-term-create": Endpoint(
        "post",
        lambda ctx: "/api/v1/watch-terms/",
        lambda ctx: {"term": "Blendo", "kind": "brand"},
        "team_lead",
        text="term",
    ),
    "spike-rule-create": Endpoint(
        "post",
        lambda ctx: "/api/v1/spike-rules/",
        lambda ctx: {"name": "Storm", "watch_term": ctx.watch_term.pk, "window_minutes": 30, "min_count": 10},
        "team_lead",
        text="name",
        integer="window_minutes",
    ),
}


@dataclass
class Context:
    incident: object
    review: object
    watch_term: object
    people: dict


@pytest.fixture
def ctx(db, people, team_lead):
    review = resolved_review(lead=team_lead, incident=IncidentFactory())
    watch_term = mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")
    return Context(incident=IncidentFactory(), review=review, watch_term=watch_term, people=people)


def snapshot() -> dict:
    """Every row of every project table: a refused request must leave all of them as they were."""
    rows = {}
    for model in apps.get_models():
        if model.__module__.split(".")[0] in ("incidents", "playbooks", "postmortems", "crisisdesk"):
            rows[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return rows


def with_raw(payload: dict, path: str, raw: str) -> str:
    """``payload`` as JSON text, the value at ``path`` (``steps.0.within_minutes``) replaced by the JSON text ``raw``."""
    marker = "__HOSTILE__"
    target = payload
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    target[int(last) if isinstance(target, list) else last] = marker
    return json.dumps(payload).replace(f'"{marker}"', raw)


def send(client, endpoint: Endpoint, ctx, body: str | bytes):
    return getattr(client, endpoint.method)(endpoint.url(ctx), data=body, content_type="application/json")


def names(response, path: str) -> bool:
    """The 400 body names the field: as a serializer error key, or as the parser's ``path``."""
    body = response.json()
    top = path.split(".")[0]
    return top in body or top in str(body.get("path", ""))


def hostile_cases():
    for name, endpoint in ENDPOINTS.items():
        cases = [
            ("nul", endpoint.text, json.dumps("a\x00b")),
            ("lone-surrogate", endpoint.text, '"a\\ud800b"'),
            ("lone-low-surrogate", endpoint.text, '"\\udfff"'),
            ("too-long", endpoint.text, json.dumps("x" * 10_001)),
            ("nested-100", endpoint.text, "[" * 100 + "]" * 100),
            *((f"not-a-string:{raw}", endpoint.text, raw) for raw in NOT_STRINGS),
        ]
        if endpoint.integer:
            cases += [(f"huge:{raw}", endpoint.integer, raw) for raw in HUGE_NUMBERS]
            cases += [(f"not-an-integer:{raw}", endpoint.integer, raw) for raw in NOT_INTEGERS]
        if endpoint.reference:
            cases += [
                ("reference-nul", endpoint.reference, json.dumps("CD-\x00")),
                ("reference-surrogate", endpoint.reference, '"CD-\\ud800"'),
                ("reference-object", endpoint.reference, '{"reference": "x"}'),
                ("reference-number", endpoint.reference, "12.7"),
            ]
        for case, path, raw in cases:
            for persona in (endpoint.writer, "observer"):
                yield pytest.param(name, path, raw, persona, id=f"{name}-{case}-{persona}")


@pytest.mark.parametrize("name,path,raw,persona", list(hostile_cases()))
def test_hostile_value_is_a_field_error_and_writes_nothing(api, ctx, name, path, raw, persona):
    endpoint = ENDPOINTS[name]
    client = api(persona)
    before = snapshot()
    response = send(client, endpoint, ctx, with_raw(endpoint.payload(ctx), path, raw))
    if persona == endpoint.writer or response.status_code != 403:
        assert response.status_code == 400, response.content
        assert names(response, path), response.json()
    # else: a reader refused (403) before the body is looked at
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["communicator", "observer"])
@pytest.mark.parametrize("raw", [json.dumps("CD-2026-0001\x00"), '"\\ud800"'])
def test_statement_incident_with_nul_is_a_400_for_every_persona(api, ctx, persona, raw):
    """The incident is looked up before the permission check: the lookup must never see the NUL."""
    endpoint = ENDPOINTS["statement-create"]
    before = snapshot()
    response = send(api(persona), endpoint, ctx, with_raw(endpoint.payload(ctx), "incident", raw))
    assert response.status_code == 400
    assert names(response, "incident")
    assert snapshot() == before


@pytest.mark.parametrize("name", ENDPOINTS)
def test_valid_payload_is_accepted(api, ctx, name):
    """The baseline every hostile case above mutates is itself valid: the refusals are the input's."""
    endpoint = ENDPOINTS[name]
    response = send(api(endpoint.writer), endpoint, ctx, json.dumps(endpoint.payload(ctx)))
    assert response.status_code in (200, 201), response.content


@pytest.mark.parametrize("name", ENDPOINTS)
def test_unknown_field_is_refused_by_name(api, ctx, name):
    endpoint = ENDPOINTS[name]
    before = snapshot()
    response = send(api(endpoint.writer), endpoint, ctx, json.dumps({**endpoint.payload(ctx), "colour": "red"}))
    assert response.status_code == 400
    assert "colour" in response.json()
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["writer", "observer"])
@pytest.mark.parametrize("name", ENDPOINTS)
def test_deep_nesting_is_a_400_not_a_recursion_error(api, ctx, name, persona):
    endpoint = ENDPOINTS[name]
    client = api(endpoint.writer if persona == "writer" else "observer")
    before = snapshot()
    for body in ("[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000):
        response = send(client, endpoint, ctx, body)
        if persona == "observer" and response.status_code == 403:
            continue  # refused before the body is parsed
        assert response.status_code == 400
        assert "nested too deeply" in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("name", ENDPOINTS)
def test_body_over_the_cap_is_a_413_with_a_json_body(api, ctx, name):
    endpoint = ENDPOINTS[name]
    before = snapshot()
    body = with_raw(endpoint.payload(ctx), endpoint.text, json.dumps("x" * (2_621_440 + 1)))
    response = send(api(endpoint.writer), endpoint, ctx, body)
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert response.json()["limit"] == 2_621_440
    assert snapshot() == before


@pytest.mark.parametrize(
    "field,value",
    [
        ("detected_at", '"1900-01-01T00:00:00Z"'),
        ("detected_at", '"2100-01-01T00:00:00Z"'),
        ("detected_at", '"9999-12-31T23:59:59-23:00"'),
        ("detected_at", '"0000-01-01T00:00:00Z"'),
        ("detected_at", "1700000000"),
        ("lead", "9223372036854775808"),
        ("lead", "1e400"),
        ("lead", "12.7"),
        ("lead", "true"),
        ("lead", '"\\u0000"'),
        ("severity", "true"),
        ("severity", "[2]"),
        ("affected_channels", '["x", {"a": 1}]'),
        ("affected_channels", '"x\\u0000"'),
    ],
)
def test_incident_create_refuses_out_of_range_and_mistyped_values(api, ctx, field, value):
    endpoint = ENDPOINTS["incident-create"]
    before = snapshot()
    response = send(api("communicator"), endpoint, ctx, with_raw({**endpoint.payload(ctx), field: None}, field, value))
    assert response.status_code == 400, response.content
    assert names(response, field), response.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    "name,field,items",
    [
        ("statement-create", "facts", "1"),  # a lookup per item: refused before the first
        ("statement-create", "channels", '"website"'),
        ("playbook-create", "key_messages", "1"),
        ("playbook-create", "steps", '{"title": "s"}'),
        ("incident-create", "affected_channels", '"x"'),
    ],
)
def test_lists_hold_at_most_1000_items(api, ctx, name, field, items):
    endpoint = ENDPOINTS[name]
    before = snapshot()
    body = with_raw({**endpoint.payload(ctx), field: None}, field, "[" + ",".join([items] * 1001) + "]")
    response = send(api(endpoint.writer), endpoint, ctx, body)
    assert response.status_code == 400, response.content
    assert "1000" in str(response.json()[field])
    assert snapshot() == before


def test_whole_floats_are_integers_and_numbers_still_fit(api, ctx):
    """Refusing ``12.7`` does not refuse ``30.0``; the range check does not refuse ordinary values."""
    endpoint = ENDPOINTS["spike-rule-create"]
    response = send(api("team_lead"), endpoint, ctx, with_raw(endpoint.payload(ctx), "window_minutes", "30.0"))
    assert response.status_code == 201, response.content
    assert response.json()["window_minutes"] == 30


@pytest.mark.parametrize(
    "url",
    ["/api/v1/incidents/?q=%00", "/api/v1/incidents/%00/", "/api/v1/statements/?incident=CD%00", "/incidents/?q=%00"],
)
def test_nul_in_the_url_is_a_400(api, ctx, url):
    response = api("communicator").get(url)
    assert response.status_code == 400


@pytest.mark.postgres_only
def test_postgres_would_refuse_the_nul_the_parser_stops(db):
    from django.db import DataError

    from incidents.models import Incident

    with pytest.raises(DataError):
        list(Incident.objects.filter(reference="CD-\x00"))
