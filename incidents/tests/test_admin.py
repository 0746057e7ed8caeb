"""Django admin: every page opens, writes go through the services, confidentiality holds."""

from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from crisisdesk.testing.factories import FactFactory, IncidentFactory, UserFactory, role
from incidents import services
from incidents.models import (
    Fact,
    FactStatus,
    Incident,
    IncidentRole,
    Membership,
    ReferenceCounter,
    Status,
    TimelineEntry,
    TimelineKind,
)


class _FormValues(HTMLParser):
    """Collects what a browser would submit from the admin's change form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            checkable = attrs.get("type") in ("checkbox", "radio")
            if checkable and "checked" not in attrs:
                return
            # A browser sends "on" for a checked box without a value, and "" for an empty text input.
            value = attrs.get("value")
            if value is None:
                value = "on" if checkable else ""
            self.data.setdefault(name, []).append(value)
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select].append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea:
                # Browsers drop the newline that follows <textarea>.
                self.data[self._textarea][0] = self.data[self._textarea][0].removeprefix("\n")
            self._textarea = None


def change_form_data(client, url) -> dict:
    parser = _FormValues()
    parser.feed(client.get(url).content.decode())
    parser.data.pop("csrfmiddlewaretoken", None)
    return {name: values if len(values) != 1 else values[0] for name, values in parser.data.items()}


def test_form_parser_reads_what_a_browser_would_send():
    parser = _FormValues()
    parser.feed(
        '<input type="text" name="empty"><input type="text" name="filled" value="x">'
        '<input type="checkbox" name="ticked" checked><input type="checkbox" name="unticked">'
        '<input type="date" name="day" value="">'
    )
    assert parser.data == {"empty": [""], "filled": ["x"], "ticked": ["on"], "day": [""]}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


@pytest.fixture
def opened(admin_user, team_lead):
    """An incident opened through the service (so it has a timeline, a team and a reference counter)."""
    return services.incident_open(actor=admin_user, title="Influencer calls our app a scam", lead=team_lead)


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)


def test_superuser_opens_every_admin_page(admin_client, opened, legal):
    fact = services.fact_add(actor=legal, incident=opened, claim="Refunds take 30 days.")
    objects = [
        opened,
        opened.memberships.first(),
        opened.timeline.first(),
        fact,
        IncidentRole.objects.get(code="spokesperson"),
        ReferenceCounter.objects.get(),
    ]
    assert admin_client.get(reverse("admin:index")).status_code == 200
    for obj in objects:
        opts = obj._meta
        assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
        assert admin_client.get(change_url(obj)).status_code == 200
    for model in (Incident, Membership, Fact, IncidentRole):
        opts = model._meta
        assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200
    # The append-only log and the counter cannot be added by hand.
    for model in (TimelineEntry, ReferenceCounter):
        opts = model._meta
        assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403


def test_add_form_opens_through_the_service(admin_client, admin_user):
    detected = timezone.now() - timezone.timedelta(hours=2)
    response = admin_client.post(
        reverse("admin:incidents_incident_add"),
        {
            "title": "Outage trending on X",
            "summary": "",
            "category": "service_outage",
            "severity": "2",
            "source": "",
            "affected_channels": ["x", "website"],
            "detected_at_0": detected.strftime("%Y-%m-%d"),
            "detected_at_1": detected.strftime("%H:%M:%S"),
            "lead": "",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get(title="Outage trending on X")
    assert incident.reference.startswith(f"CD-{detected.year}-")
    assert incident.affected_channels == ["x", "website"]
    assert incident.created_by == admin_user
    assert incident.timeline.filter(kind=TimelineKind.OPENED).exists()
    assert incident.memberships.filter(user=admin_user).exists()


def test_add_form_shows_service_errors(admin_client):
    future = timezone.now() + timezone.timedelta(days=2)
    response = admin_client.post(
        reverse("admin:incidents_incident_add"),
        {
            "title": "From the future",
            "category": "other",
            "severity": "3",
            "detected_at_0": future.strftime("%Y-%m-%d"),
            "detected_at_1": future.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 200
    assert "detected_at" in response.context["adminform"].form.errors
    assert not Incident.objects.filter(title="From the future").exists()


def test_change_form_never_changes_status(admin_client, opened):
    url = change_url(opened)
    data = change_form_data(admin_client, url)
    data.update(
        {"title": "Influencer retracts scam claim", "status": "closed", "closed_at": "2026-01-01", "reference": "X-1"}
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    opened.refresh_from_db()
    assert opened.title == "Influencer retracts scam claim"
    assert opened.status == Status.DETECTED
    assert opened.closed_at is None
    assert opened.reference.startswith("CD-")
    assert opened.timeline.filter(kind=TimelineKind.EDIT).exists()


def test_change_form_routes_severity_through_the_service(admin_client, opened):
    url = change_url(opened)
    data = change_form_data(admin_client, url)
    data["severity"] = "1"
    assert admin_client.post(url, data).status_code == 302
    opened.refresh_from_db()
    assert opened.severity == 1
    assert opened.timeline.get(kind=TimelineKind.SEVERITY_CHANGE).data["to"] == 1


def test_change_form_refused_by_the_service_changes_nothing(admin_client, opened, admin_user):
    services.incident_change_status(actor=admin_user, incident=opened, to_status=Status.RESOLVED)
    services.incident_change_status(actor=admin_user, incident=opened, to_status=Status.CLOSED)
    url = change_url(opened)
    data = change_form_data(admin_client, url)
    data.update({"title": "Edited after closing", "severity": "1"})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    opened.refresh_from_db()
    assert opened.title == "Influencer calls our app a scam"
    assert opened.severity == 3


def test_transition_action_moves_through_the_service(admin_client, opened):
    changelist = reverse("admin:incidents_incident_changelist")
    response = admin_client.post(changelist, {"action": "move_to_investigating", "_selected_action": [opened.pk]})
    assert response.status_code == 302
    opened.refresh_from_db()
    assert opened.status == Status.INVESTIGATING
    assert opened.acknowledged_at is not None
    entry = opened.timeline.get(kind=TimelineKind.STATUS_CHANGE)
    assert entry.data["from"] == Status.DETECTED and entry.data["to"] == Status.INVESTIGATING
    assert any(opened.reference in m and "Investigating" in m for m in messages_of(response))


def test_invalid_transition_action_is_reported_not_raised(admin_client, opened):
    changelist = reverse("admin:incidents_incident_changelist")
    response = admin_client.post(changelist, {"action": "move_to_closed", "_selected_action": [opened.pk]})
    assert response.status_code == 302
    opened.refresh_from_db()
    assert opened.status == Status.DETECTED
    assert not opened.timeline.filter(kind=TimelineKind.STATUS_CHANGE).exists()
    texts = messages_of(response)
    assert any(opened.reference in m and "cannot go from" in m for m in texts)


def test_transition_action_reports_each_incident(admin_client, opened, admin_user):
    other = services.incident_open(actor=admin_user, title="Second one")
    services.incident_change_status(actor=admin_user, incident=other, to_status=Status.RESOLVED)
    changelist = reverse("admin:incidents_incident_changelist")
    response = admin_client.post(
        changelist, {"action": "move_to_responding", "_selected_action": [opened.pk, other.pk]}
    )
    opened.refresh_from_db()
    other.refresh_from_db()
    assert opened.status == other.status == Status.RESPONDING
    assert len(messages_of(response)) == 2


def test_permission_denied_in_an_action_is_a_message(client_for, opened):
    staff_observer = UserFactory(username="staff-observer", role="Observer", is_staff=True)
    staff_observer.user_permissions.add(*_perms("view_incident", "change_incident"))
    changelist = reverse("admin:incidents_incident_changelist")
    client = client_for(staff_observer)
    # Observers lack the transition permission: the actions are not even offered.
    response = client.post(changelist, {"action": "move_to_investigating", "_selected_action": [opened.pk]})
    opened.refresh_from_db()
    assert opened.status == Status.DETECTED

    staff_observer.user_permissions.add(*_perms("transition_incident"))
    # …and with the global permission but without "close", closing is refused by the service.
    services.incident_change_status(actor=opened.created_by, incident=opened, to_status=Status.RESOLVED)
    response = client.post(changelist, {"action": "move_to_closed", "_selected_action": [opened.pk]})
    opened.refresh_from_db()
    assert opened.status == Status.RESOLVED
    assert any("You may not move" in m for m in messages_of(response))


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="incidents", codename__in=codenames)


def test_staff_without_membership_does_not_see_confidential_incidents(client_for, incident, confidential_incident):
    staff = UserFactory(username="staff-comms", role="Communicator", is_staff=True)
    TimelineEntry.objects.create(incident=confidential_incident, kind=TimelineKind.NOTE, body="Secret plan")
    client = client_for(staff)

    response = client.get(reverse("admin:incidents_incident_changelist"))
    assert response.status_code == 200
    shown = {obj.reference for obj in response.context["cl"].result_list}
    assert shown == {incident.reference}
    response = client.get(reverse("admin:incidents_incident_changelist"), {"q": "Leaked"})
    assert list(response.context["cl"].result_list) == []
    # The change page answers like a missing object.
    assert client.get(change_url(confidential_incident)).status_code == 302
    response = client.get(reverse("admin:incidents_timelineentry_changelist"))
    assert "Secret plan" not in response.content.decode()


def test_lead_of_a_confidential_incident_sees_it_in_the_admin(client_for, team_lead, confidential_incident):
    team_lead.is_staff = True
    team_lead.save(update_fields=["is_staff"])
    response = client_for(team_lead).get(reverse("admin:incidents_incident_changelist"))
    assert confidential_incident in response.context["cl"].result_list


def test_timeline_entries_are_view_only(admin_client, opened):
    entry = opened.timeline.get(kind=TimelineKind.OPENED)
    url = change_url(entry)
    response = admin_client.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert admin_client.post(url, {"body": "Rewritten"}).status_code == 403
    delete_url = reverse("admin:incidents_timelineentry_delete", args=[entry.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.body.startswith("Incident opened")


def test_incidents_cannot_be_deleted_in_the_admin(admin_client, opened):
    response = admin_client.post(reverse("admin:incidents_incident_delete", args=[opened.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Incident.objects.filter(pk=opened.pk).exists()


def test_fact_actions_verify_through_the_service(admin_client, opened, legal):
    fact = services.fact_add(actor=legal, incident=opened, claim="The founder posted it.")
    refuted = FactFactory(incident=opened)
    changelist = reverse("admin:incidents_fact_changelist")
    admin_client.post(changelist, {"action": "mark_confirmed", "_selected_action": [fact.pk]})
    fact.refresh_from_db()
    assert fact.status == FactStatus.CONFIRMED
    assert opened.timeline.filter(kind=TimelineKind.FACT, data__to=FactStatus.CONFIRMED).exists()

    admin_client.post(changelist, {"action": "mark_refuted", "_selected_action": [refuted.pk]})
    response = admin_client.post(changelist, {"action": "mark_refuted", "_selected_action": [refuted.pk]})
    refuted.refresh_from_db()
    assert refuted.status == FactStatus.REFUTED
    assert any("already" in m for m in messages_of(response))


def test_fact_add_form_uses_the_service(admin_client, opened, admin_user):
    response = admin_client.post(
        reverse("admin:incidents_fact_add"), {"incident": opened.pk, "claim": "Screenshots are edited.", "source": ""}
    )
    assert response.status_code == 302
    fact = opened.facts.get()
    assert fact.created_by == admin_user
    assert fact.status == FactStatus.UNVERIFIED
    assert opened.timeline.filter(kind=TimelineKind.FACT).exists()


def test_membership_add_and_remove_through_the_services(admin_client, opened, legal):
    response = admin_client.post(
        reverse("admin:incidents_membership_add"),
        {"incident": opened.pk, "user": legal.pk, "role": role("legal").pk},
    )
    assert response.status_code == 302
    membership = opened.memberships.get(user=legal)
    assert opened.timeline.filter(kind=TimelineKind.TEAM_CHANGE, data__added=True).exists()

    # The same role twice is a form error from the service, not a crash.
    response = admin_client.post(
        reverse("admin:incidents_membership_add"),
        {"incident": opened.pk, "user": legal.pk, "role": role("legal").pk},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors

    response = admin_client.post(reverse("admin:incidents_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert opened.timeline.filter(kind=TimelineKind.TEAM_CHANGE, data__added=False).exists()


def test_removing_the_lead_is_refused_with_a_message(admin_client, opened):
    lead_membership = opened.memberships.get(role__code="lead")
    response = admin_client.post(
        reverse("admin:incidents_membership_delete", args=[lead_membership.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(pk=lead_membership.pk).exists()
    assert any("another lead" in m for m in messages_of(response))

    changelist = reverse("admin:incidents_membership_changelist")
    response = admin_client.post(changelist, {"action": "remove_memberships", "_selected_action": [lead_membership.pk]})
    assert Membership.objects.filter(pk=lead_membership.pk).exists()
    assert any("another lead" in m for m in messages_of(response))


def test_reference_counter_is_read_only(admin_client, opened):
    counter = ReferenceCounter.objects.get()
    assert admin_client.post(change_url(counter), {"year": counter.year, "last_number": 0}).status_code == 403
    counter.refresh_from_db()
    assert counter.last_number == 1


def test_factory_incident_changelist_lists_plain_rows(admin_client):
    made = IncidentFactory.create_batch(3)
    response = admin_client.get(reverse("admin:incidents_incident_changelist"))
    assert {i.reference for i in made} <= {i.reference for i in response.context["cl"].result_list}
