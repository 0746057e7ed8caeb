"""What the OpenAPI schema says matches what the API answers (the corrections of crisisdesk.api.schema)."""

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from crisisdesk.review import services as review
from crisisdesk.review.tests.helpers import make_statement


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from io import StringIO

        out = StringIO()
        call_command("spectacular", stdout=out)
    return yaml.safe_load(out.getvalue())


def test_every_operation_documents_its_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403", "429"} <= codes, (method, path, codes)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "patch", "put"):
                assert {"400", "413", "415"} <= codes, (method, path, codes)
    assert schema["components"]["schemas"]["ErrorDetail"]["required"] == ["detail"]


def test_nullable_relations_and_blank_urls_are_declared(schema):
    schemas = schema["components"]["schemas"]
    assert schemas["Alert"]["properties"]["incident"]["nullable"] is True
    assert schemas["Mention"]["properties"]["incident"]["nullable"] is True
    for name, field in (("Mention", "url"), ("Mention", "reply_url"), ("Person", "email")):
        prop = schemas[name]["properties"][field]
        assert "format" not in prop and {"maxLength": 0} in prop["anyOf"], (name, field, prop)
    triage = schema["paths"]["/api/v1/mentions/triage/"]["post"]["responses"]["200"]
    assert triage["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/TriageResult"}


@pytest.mark.django_db
def test_an_unmatched_api_url_answers_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_review_decisions_name_the_item_type(api, incident, communicator, legal):
    statement = make_statement(author=communicator, incident=incident)
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)

    rows = api("legal").get(reverse("api:reviewdecision-list")).json()["results"]

    assert [row["item_type"] for row in rows] == ["incidents.statement"]
