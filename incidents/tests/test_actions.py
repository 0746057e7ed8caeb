"""Workflow actions look like actions (issue 17): verb buttons, the status a badge, and closing confirmed,
also without JavaScript (a confirmation page when the POST lacks ``confirmed=1``)."""

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import Status, TimelineKind

pytestmark = pytest.mark.django_db


def url(name, incident):
    return reverse(name, kwargs={"reference": incident.reference})


def buttons(response) -> dict[str, tuple[str, str]]:
    """to_status → (label, css) of the war room's workflow buttons."""
    return {b.value: (b.label, b.css) for b in response.context["transitions"]}


def walk(incident, actor, *statuses):
    for to_status in statuses:
        services.incident_change_status(actor=actor, incident=incident, to_status=to_status)
    incident.refresh_from_db()


def test_a_detected_incident_offers_verbs_acknowledge_first(client_for, communicator, incident):
    page = client_for(communicator).get(url("incidents:detail", incident))
    assert buttons(page) == {
        "investigating": ("Start investigating", "btn-outline-primary"),
        "responding": ("Start responding", "btn-outline-primary"),
        "monitoring": ("Start monitoring", "btn-outline-primary"),
        "resolved": ("Mark resolved", "btn-outline-primary"),
    }
    body = page.content.decode()
    assert 'class="btn btn-primary">Acknowledge</button>' in body
    assert ">Start investigating</button>" in body
    assert 'Status now: <span class="badge cd-status cd-status-detected">Detected</span>' in body


def test_once_acknowledged_the_recommended_move_is_the_solid_button(client_for, communicator, incident):
    services.incident_acknowledge(actor=communicator, incident=incident)
    assert buttons(client_for(communicator).get(url("incidents:detail", incident)))["investigating"] == (
        "Start investigating",
        "btn-primary",
    )
    walk(incident, communicator, "investigating")
    assert buttons(client_for(communicator).get(url("incidents:detail", incident)))["responding"] == (
        "Start responding",
        "btn-primary",
    )
    walk(incident, communicator, "monitoring")
    page_buttons = buttons(client_for(communicator).get(url("incidents:detail", incident)))
    assert page_buttons == {
        "responding": ("Back to responding", "btn-outline-primary"),
        "resolved": ("Mark resolved", "btn-primary"),
    }


def test_a_resolved_incident_offers_reopen_and_a_red_close_that_asks(client_for, team_lead, communicator, incident):
    walk(incident, team_lead, "investigating", "resolved")
    page = client_for(team_lead).get(url("incidents:detail", incident))
    assert buttons(page) == {
        "responding": ("Reopen", "btn-outline-primary"),
        "closed": ("Close incident", "btn-danger"),
    }
    body = page.content.decode()
    assert 'data-confirm="Close incident CD-2026-0001 “Viral video of a cracked blender jar”?' in body
    # The communicator may reopen but not close.
    assert buttons(client_for(communicator).get(url("incidents:detail", incident))) == {
        "responding": ("Reopen", "btn-outline-primary")
    }


def test_every_move_has_a_verb():
    for from_status, targets in services.STATUS_TRANSITIONS.items():
        for to_status in targets:
            verb = services.transition_verb(from_status, to_status)
            assert verb and verb != Status(to_status).label


def test_closing_without_confirmation_shows_a_confirmation_page_and_changes_nothing(client_for, team_lead, incident):
    walk(incident, team_lead, "investigating", "resolved")
    response = client_for(team_lead).post(
        url("incidents:transition", incident), {"to_status": "closed", "comment": "All quiet for a week."}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Close incident CD-2026-0001 “Viral video of a cracked blender jar”?" in body
    assert '<input type="hidden" name="to_status" value="closed">' in body
    assert '<input type="hidden" name="comment" value="All quiet for a week.">' in body
    assert '<input type="hidden" name="confirmed" value="1">' in body
    assert ">Close incident</button>" in body
    assert f'href="{incident.get_absolute_url()}">Cancel</a>' in body
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert not incident.timeline.filter(kind=TimelineKind.STATUS_CHANGE, body__icontains="closed").exists()


def test_closing_with_confirmation_closes(client_for, team_lead, incident):
    walk(incident, team_lead, "investigating", "resolved")
    response = client_for(team_lead).post(
        url("incidents:transition", incident), {"to_status": "closed", "confirmed": "1"}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED


def test_other_moves_need_no_confirmation(client_for, communicator, incident):
    response = client_for(communicator).post(url("incidents:transition", incident), {"to_status": "investigating"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING


@pytest.mark.parametrize("persona, code", [("communicator", 403), ("observer", 403), ("outsider", 404)])
def test_no_confirmation_page_for_who_may_not_close(personas, client_for, team_lead, incident, persona, code):
    walk(incident, team_lead, "investigating", "resolved")
    response = client_for(personas[persona]).post(url("incidents:transition", incident), {"to_status": "closed"})
    assert response.status_code == code
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED


def test_closing_from_a_state_that_cannot_close_is_refused_without_asking(client_for, team_lead, incident):
    response = client_for(team_lead).post(url("incidents:transition", incident), {"to_status": "closed"}, follow=True)
    assert response.redirect_chain[-1][0] == incident.get_absolute_url()
    assert any("cannot go from" in str(m) for m in response.context["messages"])
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED
