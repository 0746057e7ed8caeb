"""The OpenAPI schema validates without warnings, and the interactive docs work offline."""

import re

import yaml
from django.core.management import call_command
from django.urls import reverse

from crisisdesk.api.views import OfflineRedocView


def test_schema_validates_without_warnings(db, tmp_path):
    target = tmp_path / "openapi.yaml"
    # --fail-on-warn turns every drf-spectacular warning (an unannotated action,
    # an enum name collision) into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in [
        "/api/v1/auth/token/",
        "/api/v1/incidents/",
        "/api/v1/incidents/{reference}/",
        "/api/v1/incidents/{reference}/transition/",
        "/api/v1/incidents/{reference}/acknowledge/",
        "/api/v1/incidents/{reference}/severity/",
        "/api/v1/incidents/{reference}/lead/",
        "/api/v1/incidents/{reference}/notes/",
        "/api/v1/incidents/{reference}/facts/",
        "/api/v1/memberships/",
        "/api/v1/timeline/",
        "/api/v1/facts/{id}/verify/",
        "/api/v1/incident-roles/",
    ]:
        assert path in paths, path
    transition = paths["/api/v1/incidents/{reference}/transition/"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(transition["responses"])
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    # The shared FilterSet shows up as query parameters.
    params = {p["name"] for p in paths["/api/v1/incidents/"]["get"]["parameters"]}
    assert {"q", "status", "severity", "category", "lead", "cursor"} <= params


def test_schema_endpoint_serves_openapi_3(client_for, observer):
    response = client_for(observer).get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def asset_sources(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)


def assert_offline(html: str, bundle: str = "drf_spectacular_sidecar") -> None:
    sources = asset_sources(html)
    assert any(bundle in src for src in sources), sources
    assert all("://" not in src and not src.startswith("//") for src in sources), sources


def test_swagger_ui_is_served_from_the_sidecar_not_a_cdn(client_for, observer):
    response = client_for(observer).get(reverse("api:docs"))
    assert response.status_code == 200
    assert_offline(response.content.decode())


def test_redoc_page_loads(client_for, observer):
    response = client_for(observer).get(reverse("api:redoc"))
    assert response.status_code == 200
    # The sidecar's bundle, served by crisisdesk.api.views.redoc_bundle without its CDN logo.
    assert f'<script src="{reverse("api:redoc_bundle")}">' in response.content.decode()


def test_offline_redoc_loads_nothing_from_a_cdn(rf, observer):
    request = rf.get("/api/v1/redoc/")
    request.user = observer
    response = OfflineRedocView.as_view(url_name="api:schema")(request)
    assert response.status_code == 200
    html = response.content.decode()
    assert_offline(html, bundle=reverse("api:redoc_bundle"))
    assert "/api/v1/schema/" in html
