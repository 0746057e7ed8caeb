import io
import zipfile

import pytest

pytestmark = pytest.mark.django_db


def test_incident_page_has_the_export_button_and_it_downloads_the_pack(client_for, confidential_incident, team_lead):
    client = client_for(team_lead)
    page = client.get(f"/incidents/{confidential_incident.reference}/")
    assert b"Export record" in page.content
    response = client.post(f"/post-crisis/evidence/{confidential_incident.reference}/")
    assert response.status_code == 200
    assert "record.json" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()


def test_non_team_gets_404_on_confidential(client_for, confidential_incident, communicator):
    assert client_for(communicator).post(f"/post-crisis/evidence/{confidential_incident.reference}/").status_code == 404


def test_browser_export_is_audited_with_the_exporter(client_for, confidential_incident, team_lead):
    from crisisdesk.audit.models import AuditRecord

    response = client_for(team_lead).post(f"/post-crisis/evidence/{confidential_incident.reference}/")
    assert response.status_code == 200
    row = AuditRecord.objects.get(action="incident.evidence_pack_exported")
    assert row.actor == team_lead
    assert row.target_id == str(confidential_incident.pk)
    manifest = zipfile.ZipFile(io.BytesIO(response.content)).read("manifest.json")
    assert row.data["manifest_sha256"] in manifest.decode()


def test_hidden_and_missing_incidents_answer_alike(client_for, confidential_incident, communicator):
    client = client_for(communicator)
    hidden = client.post(f"/post-crisis/evidence/{confidential_incident.reference}/")
    missing = client.post("/post-crisis/evidence/CD-1999-9999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
