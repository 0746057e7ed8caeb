"""Response-target edits are in the system audit trail, with the values before and after."""

import pytest
from django.core.exceptions import ValidationError

from crisisdesk.audit.services import records_for
from incidents.response import services as response
from incidents.response.models import ResponseTarget

pytestmark = pytest.mark.django_db


def _update(actor, target, **values):
    return response.response_target_update(
        actor=actor,
        target=target,
        **{
            "acknowledge_minutes": target.acknowledge_minutes,
            "first_response_minutes": target.first_response_minutes,
            "update_interval_minutes": target.update_interval_minutes,
            "update_window_minutes": target.update_window_minutes,
            **values,
        },
    )


def test_a_target_edit_records_from_and_to(team_lead):
    target = ResponseTarget.objects.get(severity=2)
    before = target.acknowledge_minutes
    _update(team_lead, target, acknowledge_minutes=before + 5)
    record = records_for(target).get()
    assert (record.action, record.actor) == ("response_target.update", team_lead)
    assert record.from_state == f"acknowledge_minutes={before}"
    assert record.to_state == f"acknowledge_minutes={before + 5}"
    assert record.data["severity"] == 2 and record.data["after"]["acknowledge_minutes"] == before + 5


def test_an_edit_that_changes_nothing_or_is_refused_records_nothing(team_lead):
    target = ResponseTarget.objects.get(severity=2)
    _update(team_lead, target)
    with pytest.raises(ValidationError):
        _update(team_lead, target, first_response_minutes=0, acknowledge_minutes=10)
    assert not records_for(target).exists()
