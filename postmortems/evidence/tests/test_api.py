import io
import zipfile

import pytest
from django.contrib.auth import get_user_model

from crisisdesk.audit.models import AuditRecord

pytestmark = pytest.mark.django_db


def url(incident):
    return f"/api/v1/incidents/{incident.reference}/evidence-pack/"


def test_team_member_gets_the_zip_and_the_export_is_audited(client_for, confidential_incident, team_lead):
    response = client_for(team_lead).post(url(confidential_incident))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert set(names) == {"record.json", "record.pdf", "manifest.json"}
    row = AuditRecord.objects.get(action="incident.evidence_pack_exported", actor=team_lead)
    assert row.data["manifest_sha256"] == response["X-Manifest-SHA256"]


def test_outsider_gets_404(client_for, incident, outsider):
    assert client_for(outsider).get(url(incident)).status_code == 404
    assert not AuditRecord.objects.filter(action="incident.evidence_pack_exported").exists()


def test_non_team_on_confidential_gets_404(client_for, confidential_incident, communicator):
    assert client_for(communicator).get(url(confidential_incident)).status_code == 404


def test_superuser_may_export_confidential(client_for, confidential_incident):
    boss = get_user_model().objects.create_superuser("boss", "boss@example.com", "x-Very-long-pass-1")
    assert client_for(boss).get(url(confidential_incident)).status_code == 200


def test_anonymous_is_refused(client, incident):
    assert client.get(url(incident)).status_code in {401, 403}
