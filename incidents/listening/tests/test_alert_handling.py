"""Handling a fired alert (open an incident, attach, dismiss): the services and ``POST /api/v1/alerts/{id}/…``."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crisisdesk.audit.models import AuditRecord
from crisisdesk.exceptions import InvalidTransition
from crisisdesk.webhooks.models import OutboxEvent
from incidents.listening import alerts as alert_services
from incidents.listening.models import Alert, AlertHandling, Mention
from incidents.listening.spikes import SPIKE_ALERT_NOTE
from incidents.listening.tests.alert_helpers import make_alert, make_rule
from incidents.models import Incident, Status, TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(team_lead):
    return make_alert(make_rule(team_lead))


# --- services ------------------------------------------------------------------------------------


def test_open_incident_prefills_from_the_rule_and_links_the_evidence(communicator, alert):
    incident = alert_services.alert_open_incident(actor=communicator, alert=alert)

    assert incident.title == "Spike of mentions: Acme"
    assert incident.category == "product_defect"
    assert incident.severity == 2
    assert incident.detected_at == alert.window_start
    assert "Acme" in incident.source and "Acme spike" in incident.source
    assert incident.created_by == communicator
    alert.refresh_from_db()
    assert (alert.handling, alert.handled_by, alert.incident) == (AlertHandling.OPENED, communicator, incident)
    assert alert.handled_at is not None
    assert set(Mention.objects.filter(incident=incident).values_list("pk", flat=True)) == set(
        alert.evidence["mention_ids"]
    )
    # The normal opening (timeline, webhook) plus the spike note.
    events = list(TimelineEntry.objects.filter(incident=incident).values_list("event", flat=True))
    assert "incident.opened" in events and SPIKE_ALERT_NOTE.code in events
    assert OutboxEvent.objects.filter(event_type="incident.opened", incident=incident).count() == 1
    record = AuditRecord.objects.get(action="alert.opened")
    assert (record.actor, record.from_state, record.to_state, record.data) == (
        communicator,
        "unhandled",
        "opened",
        {"incident": incident.reference},
    )


def test_attach_links_the_alert_and_its_evidence(communicator, alert, incident):
    alert_services.alert_attach(actor=communicator, alert=alert, incident=incident)

    alert.refresh_from_db()
    assert (alert.handling, alert.incident, alert.handled_by) == (AlertHandling.ATTACHED, incident, communicator)
    assert Mention.objects.filter(incident=incident).count() == 2
    assert TimelineEntry.objects.filter(incident=incident, event=SPIKE_ALERT_NOTE.code).count() == 1
    assert AuditRecord.objects.filter(action="alert.attached", to_state="attached").count() == 1


def test_attach_refuses_a_closed_incident_and_writes_nothing(communicator, alert, incident):
    Incident.objects.filter(pk=incident.pk).update(
        status=Status.RESOLVED, resolved_at=timezone.now(), acknowledged_at=timezone.now()
    )
    incident.refresh_from_db()
    with pytest.raises(ValidationError):
        alert_services.alert_attach(actor=communicator, alert=alert, incident=incident)
    alert.refresh_from_db()
    assert alert.handled_at is None and alert.incident is None


def test_attach_to_a_confidential_incident_outside_ones_team_is_refused(communicator, alert, confidential_incident):
    with pytest.raises(PermissionDenied):
        alert_services.alert_attach(actor=communicator, alert=alert, incident=confidential_incident)
    assert Alert.objects.get(pk=alert.pk).handled_at is None


def test_dismiss_keeps_the_reason_and_is_audited(team_lead, alert):
    alert_services.alert_dismiss(actor=team_lead, alert=alert, reason="  A competitor's brand, not ours.  ")

    alert.refresh_from_db()
    assert (alert.handling, alert.dismiss_reason) == (AlertHandling.DISMISSED, "A competitor's brand, not ours.")
    assert alert.incident is None
    record = AuditRecord.objects.get(action="alert.dismissed")
    assert record.comment == "A competitor's brand, not ours."


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_dismiss_needs_a_reason(communicator, alert, reason):
    with pytest.raises(ValidationError) as error:
        alert_services.alert_dismiss(actor=communicator, alert=alert, reason=reason)
    assert "reason" in error.value.message_dict
    assert Alert.objects.get(pk=alert.pk).handled_at is None


@pytest.mark.parametrize(
    "handle",
    [
        lambda actor, alert, incident: alert_services.alert_open_incident(actor=actor, alert=alert),
        lambda actor, alert, incident: alert_services.alert_attach(actor=actor, alert=alert, incident=incident),
        lambda actor, alert, incident: alert_services.alert_dismiss(actor=actor, alert=alert, reason="Known."),
    ],
    ids=["open", "attach", "dismiss"],
)
def test_a_handled_alert_cannot_be_handled_again(communicator, team_lead, alert, incident, handle):
    alert_services.alert_dismiss(actor=team_lead, alert=alert, reason="False alarm.")
    incidents_before = Incident.objects.count()
    with pytest.raises(InvalidTransition):
        handle(communicator, alert, incident)
    alert.refresh_from_db()
    assert (alert.handling, alert.handled_by) == (AlertHandling.DISMISSED, team_lead)
    assert Incident.objects.count() == incidents_before


@pytest.mark.parametrize("persona", ["legal", "observer", "outsider"])
def test_who_may_not_open_incidents_may_not_handle_alerts(people, alert, incident, persona):
    user = people[persona]
    for handle in (
        lambda: alert_services.alert_open_incident(actor=user, alert=alert),
        lambda: alert_services.alert_attach(actor=user, alert=alert, incident=incident),
        lambda: alert_services.alert_dismiss(actor=user, alert=alert, reason="No."),
    ):
        with pytest.raises(PermissionDenied):
            handle()
    assert Alert.objects.get(pk=alert.pk).handled_at is None


def test_an_alert_on_a_hidden_incident_cannot_be_handled(communicator, team_lead, confidential_incident):
    alert = make_alert(make_rule(team_lead), incident=confidential_incident)
    with pytest.raises(PermissionDenied):
        alert_services.alert_dismiss(actor=communicator, alert=alert, reason="Not mine.")


def test_the_database_refuses_a_dismissal_without_reason_or_a_handling_without_time(alert):
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.filter(pk=alert.pk).update(handling="dismissed", handled_at=timezone.now(), dismiss_reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.filter(pk=alert.pk).update(handling="opened", handled_at=None)


def test_a_rule_that_opens_incidents_itself_leaves_no_alert_to_handle(team_lead):
    from datetime import timedelta

    from incidents.listening.models import SpikeAction
    from incidents.listening.spikes import _fire

    rule = make_rule(team_lead, action=SpikeAction.OPEN_INCIDENT, default_category="data_breach", default_severity=1)
    now = timezone.now()
    stats = {
        "count": 50,
        "baseline": 2.0,
        "negative_share": 0.8,
        "baseline_negative_share": 0.1,
        "baseline_windows": [],
    }
    with transaction.atomic():
        fired = _fire(rule=rule, stats=stats, start=now - timedelta(hours=1), end=now, now=now)
    fired.refresh_from_db()
    assert (fired.handling, fired.handled_by) == (AlertHandling.OPENED, team_lead)
    assert (fired.incident.category, fired.incident.severity) == ("data_breach", 1)
    assert not Alert.objects.visible_to(team_lead).unhandled().exists()


# --- API ----------------------------------------------------------------------------------------


def url(alert, action: str) -> str:
    return f"/api/v1/alerts/{alert.pk}/{action}/"


@pytest.mark.parametrize("persona", ["communicator", "team_lead"])
def test_api_open_incident(api, persona, alert):
    response = api(persona).post(url(alert, "open-incident"), format="json")
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(reference=response.json()["reference"])
    assert (incident.category, incident.severity) == ("product_defect", 2)
    detail = api(persona).get(f"/api/v1/alerts/{alert.pk}/").json()
    assert (detail["handling"], detail["incident"], detail["handled_by"]) == (
        "opened",
        incident.reference,
        incident.created_by.username,
    )


def test_api_attach_and_dismiss(api, team_lead, incident):
    rule = make_rule(team_lead)
    first, second = make_alert(rule), make_alert(rule)
    response = api("communicator").post(url(first, "attach"), {"incident": incident.reference}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["handling"], response.json()["incident"]) == ("attached", incident.reference)
    response = api("communicator").post(url(second, "dismiss"), {"reason": "Duplicate of the first."}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["handling"], response.json()["dismiss_reason"]) == ("dismissed", "Duplicate of the first.")
    unhandled = api("communicator").get("/api/v1/alerts/?unhandled=true").json()
    assert unhandled["results"] == []
    handled = api("communicator").get("/api/v1/alerts/?unhandled=false").json()
    assert {item["id"] for item in handled["results"]} == {first.pk, second.pk}


@pytest.mark.parametrize("reason", ["", "   "])
def test_api_dismiss_with_a_blank_reason_is_a_400(api, alert, reason):
    response = api("communicator").post(url(alert, "dismiss"), {"reason": reason}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert Alert.objects.get(pk=alert.pk).handled_at is None


def test_api_attach_to_an_invisible_or_closed_incident_is_a_400(api, alert, incident, confidential_incident):
    response = api("communicator").post(url(alert, "attach"), {"incident": confidential_incident.reference})
    assert response.status_code == 400 and "incident" in response.json()
    Incident.objects.filter(pk=incident.pk).update(
        status=Status.RESOLVED, resolved_at=timezone.now(), acknowledged_at=timezone.now()
    )
    response = api("communicator").post(url(alert, "attach"), {"incident": incident.reference}, format="json")
    assert response.status_code == 400 and "incident" in response.json()
    assert Alert.objects.get(pk=alert.pk).handled_at is None


@pytest.mark.parametrize(
    ("action", "body"),
    [("open-incident", {}), ("attach", "incident"), ("dismiss", {"reason": "Again."})],
)
def test_api_handling_a_handled_alert_is_a_409(api, team_lead, alert, incident, action, body):
    alert_services.alert_dismiss(actor=team_lead, alert=alert, reason="First.")
    body = {"incident": incident.reference} if body == "incident" else body
    response = api("communicator").post(url(alert, action), body, format="json")
    assert response.status_code == 409, response.content
    assert Alert.objects.get(pk=alert.pk).dismiss_reason == "First."


@pytest.mark.parametrize(("persona", "expected"), [("legal", 403), ("observer", 403), ("outsider", 404)])
@pytest.mark.parametrize("action", ["open-incident", "attach", "dismiss"])
def test_api_who_may_not_handle(api, alert, incident, persona, expected, action):
    body = {"incident": incident.reference, "reason": "x"}
    body = {"open-incident": {}, "attach": {"incident": incident.reference}, "dismiss": {"reason": "x"}}[action]
    response = api(persona).post(url(alert, action), body, format="json")
    assert response.status_code == expected
    assert Alert.objects.get(pk=alert.pk).handled_at is None
    assert not Incident.objects.exclude(pk=incident.pk).exists()


def test_api_an_alert_on_a_hidden_incident_is_a_404(api, team_lead, confidential_incident):
    alert = make_alert(make_rule(team_lead), incident=confidential_incident)
    response = api("communicator").post(url(alert, "dismiss"), {"reason": "x"}, format="json")
    assert response.status_code == 404


def test_api_rule_defaults_are_editable(api, team_lead):
    rule = make_rule(team_lead)
    response = api("team_lead").patch(
        f"/api/v1/spike-rules/{rule.pk}/", {"default_category": "data_breach", "default_severity": 1}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["default_category"], response.json()["default_severity"]) == ("data_breach", 1)
    response = api("team_lead").patch(f"/api/v1/spike-rules/{rule.pk}/", {"default_severity": 9}, format="json")
    assert response.status_code == 400 and "default_severity" in response.json()
