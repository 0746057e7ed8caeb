"""Selects read in one plain query, and incident pickers that list the newest active incidents only.

``crisisdesk.forms.ListedModelChoiceField``: Django reads a select's options through
``QuerySet.iterator()`` (on PostgreSQL a server-side cursor: DECLARE, FETCH, FETCH, CLOSE).
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisisdesk.forms import ListedModelChoiceField
from crisisdesk.testing.factories import IncidentFactory
from incidents.listening.forms import INCIDENT_CHOICES, BulkTriageForm
from incidents.listening.models import Mention, WatchTerm
from incidents.models import Incident, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def chunked_cursors():
    """How many times the request opened a chunked (on PostgreSQL: server-side) cursor."""
    calls = []
    wrapper = type(connections["default"])
    real = wrapper.chunked_cursor

    def counting(self):
        calls.append(1)
        return real(self)

    with mock.patch.object(wrapper, "chunked_cursor", counting):
        yield calls


@pytest.mark.parametrize("path", ["incidents:list", "mentions:inbox"])
def test_list_pages_open_no_server_side_cursor(client_for, communicator, incident, chunked_cursors, path):
    WatchTerm.objects.create(term="Acme", kind="brand", created_by=communicator)
    response = client_for(communicator).get(reverse(path))
    assert response.status_code == 200
    assert chunked_cursors == []


def test_a_select_is_one_query_in_the_querysets_order(communicator):
    for term in ("zeta", "alpha", "mu"):
        WatchTerm.objects.create(term=term, kind="brand", created_by=communicator)
    field = ListedModelChoiceField(WatchTerm.objects.order_by("term"), empty_label="—")
    with CaptureQueriesContext(connection) as context:
        labels = [label for _, label in field.choices]
    assert len(context.captured_queries) == 1
    assert labels == ["—", "alpha", "mu", "zeta"]
    assert len(field.choices) == 4 and bool(field.choices)


def test_the_incident_picker_lists_the_newest_active_incidents_and_accepts_any(communicator):
    now = timezone.now()
    oldest = IncidentFactory(title="Oldest active", detected_at=now - timedelta(days=400))
    IncidentFactory.create_batch(INCIDENT_CHOICES, detected_at=now)
    closed = IncidentFactory(status=Status.CLOSED, detected_at=now, acknowledged_at=now, resolved_at=now, closed_at=now)
    confidential = IncidentFactory(confidential=True, detected_at=now)
    form = BulkTriageForm(user=communicator)
    listed = {str(value) for value, _ in form.fields["incident"].choices if value != ""}
    assert len(listed) == INCIDENT_CHOICES
    assert str(oldest.pk) not in listed and str(closed.pk) not in listed and str(confidential.pk) not in listed

    mention = Mention.objects.create(platform="x", external_id="old-1", text="Acme", posted_at=now)
    data = {"ids": [mention.pk], "incident": oldest.pk}
    form = BulkTriageForm(data=_querydict(data), user=communicator)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["incident"] == oldest
    # Outside the queryset (closed, or confidential and not on its team): refused as before.
    for other in (closed, confidential):
        form = BulkTriageForm(data=_querydict({"ids": [mention.pk], "incident": other.pk}), user=communicator)
        assert not form.is_valid()
        assert "incident" in form.errors


def test_linking_a_mention_to_an_active_incident_outside_the_list(client_for, communicator):
    now = timezone.now()
    oldest = IncidentFactory(detected_at=now - timedelta(days=400))
    IncidentFactory.create_batch(INCIDENT_CHOICES, detected_at=now)
    mention = Mention.objects.create(platform="x", external_id="old-2", text="Acme", posted_at=now)
    response = client_for(communicator).post(reverse("mentions:triage"), {"ids": [mention.pk], "incident": oldest.pk})
    assert response.status_code == 302
    assert Incident.objects.get(mentions=mention) == oldest


def _querydict(data):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, value in data.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return query
