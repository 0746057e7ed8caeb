"""A source that keeps failing is visible: dashboard warning after N minutes, team leads notified once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crisisdesk.notifications.models import Notification
from incidents.listening.sources import services
from incidents.listening.sources.models import Source, SourceKind

pytestmark = pytest.mark.django_db


def test_dashboard_warns_and_leads_are_notified_once(client_for, team_lead, communicator, settings):
    settings.SOURCE_FAILING_WARN_MINUTES = 30
    source = Source.objects.create(name="Broken HN", kind=SourceKind.HACKERNEWS)
    long_ago = timezone.now() - timedelta(minutes=45)
    services.source_record_failure(source=source, error=RuntimeError("HTTP 503"), now=long_ago)
    page = client_for(communicator).get("/").content.decode()
    assert "cd-failing-sources" in page and "Broken HN" in page
    assert services.sources_warn_failing() == 1
    assert services.sources_warn_failing() == 0
    notes = Notification.objects.filter(kind=services.SOURCE_FAILING)
    assert list(notes.values_list("recipient", flat=True)) == [team_lead.pk]
    services.source_record_batch(source=source, items=[], cursor={})
    assert "cd-failing-sources" not in client_for(communicator).get("/").content.decode()


def test_recent_failure_is_not_yet_a_warning(client_for, communicator):
    source = Source.objects.create(name="Flaky", kind=SourceKind.HACKERNEWS)
    services.source_record_failure(source=source, error=RuntimeError("x"))
    assert "cd-failing-sources" not in client_for(communicator).get("/").content.decode()
    assert services.sources_warn_failing() == 0
