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
