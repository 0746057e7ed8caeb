"""Browser views: the access matrix per persona, confidential incidents, transitions, query counts, i18n."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisisdesk.roles import COMMUNICATOR, TEAM_LEAD
from crisisdesk.templatetags.clocks import duration, incident_clocks
from crisisdesk.testing.factories import (
    FactFactory,
    IncidentFactory,
    MembershipFactory,
    TimelineEntryFactory,
    UserFactory,
    role,
)
from incidents import services
from incidents.models import Fact, FactStatus, Incident, Membership, Status, TimelineEntry, TimelineKind

PERSONAS = ["communicator", "legal", "team_lead", "observer", "outsider"]
READERS = ["communicator", "legal", "team_lead", "observer"]


def url(name, incident=None, **kwargs):
    if incident is not None:
        kwargs["reference"] = incident.reference
    return reverse(name, kwargs=kwargs or None)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- pages: who may open what ------------------------------------------------------------


@pytest.mark.parametrize("page", ["dashboard", "incidents:list", "incidents:create"])
def test_anonymous_is_sent_to_login(client, db, page):
    response = client.get(url(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_is_sent_to_login_from_war_room_and_actions(client, incident):
    for name in ("incidents:detail", "incidents:edit"):
        response = client.get(url(name, incident))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = client.post(url("incidents:add_note", incident), {"kind": "note", "body": "hello"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not TimelineEntry.objects.filter(incident=incident).exists()


PAGE_MATRIX = {
    # page: {persona: expected status}
    "dashboard": {"communicator": 200, "legal": 200, "team_lead": 200, "observer": 200, "outsider": 403},
    "list": {"communicator": 200, "legal": 200, "team_lead": 200, "observer": 200, "outsider": 403},
    "detail": {"communicator": 200, "legal": 200, "team_lead": 200, "observer": 200, "outsider": 404},
    "create": {"communicator": 200, "legal": 403, "team_lead": 200, "observer": 403, "outsider": 403},
    "edit": {"communicator": 200, "legal": 403, "team_lead": 200, "observer": 403, "outsider": 404},
}
PAGE_URLS = {
    "dashboard": lambda incident: url("dashboard"),
    "list": lambda incident: url("incidents:list"),
    "detail": lambda incident: url("incidents:detail", incident),
    "create": lambda incident: url("incidents:create"),
    "edit": lambda incident: url("incidents:edit", incident),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", PAGE_MATRIX)
def test_page_access_matrix(personas, client_for, incident, persona, page):
    response = client_for(personas[persona]).get(PAGE_URLS[page](incident))
    assert response.status_code == PAGE_MATRIX[page][persona]


@pytest.mark.parametrize("persona", READERS)
def test_readers_see_the_incident_everywhere(personas, client_for, incident, persona):
    client = client_for(personas[persona])
    assert incident.title in client.get(url("dashboard")).content.decode()
    assert incident.title in client.get(url("incidents:list")).content.decode()
    page = client.get(url("incidents:detail", incident)).content.decode()
    assert incident.reference in page
    assert incident.title in page


def test_create_link_only_for_those_who_may_create(client_for, communicator, observer, incident):
    create_url = url("incidents:create")
    assert create_url in client_for(communicator).get(url("dashboard")).content.decode()
    assert create_url not in client_for(observer).get(url("dashboard")).content.decode()


# --- actions: who may do what ---------------------------------------------------------------


@pytest.fixture
def scribe(db):
    """A second communicator already on the team of ``incident``, so removal can be tried."""
    return UserFactory(username="scribe", role=COMMUNICATOR)


@pytest.fixture
def action_setup(incident, scribe, legal):
    fact = FactFactory(incident=incident, claim="The jar cracks above 80°C.")
    membership = MembershipFactory(incident=incident, user=scribe, role=role("scribe"))
    return {"incident": incident, "fact": fact, "membership": membership, "legal": legal}


def _post(client, name, setup, data, **kwargs):
    return client.post(url(name, setup["incident"], **kwargs), data)


# Each action: how to call it, and how to tell that it took effect.
ACTIONS = {
    "add_note": (
        lambda c, s, u: _post(c, "incidents:add_note", s, {"kind": "decision", "body": "Hold the statement."}),
        lambda s: TimelineEntry.objects.filter(incident=s["incident"], kind=TimelineKind.DECISION).exists(),
    ),
    "add_fact": (
        lambda c, s, u: _post(c, "incidents:add_fact", s, {"claim": "Three stores closed.", "source": "memo"}),
        lambda s: Fact.objects.filter(incident=s["incident"], claim="Three stores closed.").exists(),
    ),
    "verify_fact": (
        lambda c, s, u: _post(
            c, "incidents:verify_fact", s, {"status": "confirmed", "note": "QA report"}, pk=s["fact"].pk
        ),
        lambda s: Fact.objects.get(pk=s["fact"].pk).status == FactStatus.CONFIRMED,
    ),
    "transition": (
        lambda c, s, u: _post(c, "incidents:transition", s, {"to_status": "investigating", "comment": "On it"}),
        lambda s: Incident.objects.get(pk=s["incident"].pk).status == Status.INVESTIGATING,
    ),
    "acknowledge": (
        lambda c, s, u: _post(c, "incidents:acknowledge", s, {}),
        lambda s: Incident.objects.get(pk=s["incident"].pk).acknowledged_at is not None,
    ),
    "severity": (
        lambda c, s, u: _post(c, "incidents:severity", s, {"severity": "1", "comment": "Press picked it up"}),
        lambda s: Incident.objects.get(pk=s["incident"].pk).severity == 1,
    ),
    "set_lead": (
        lambda c, s, u: _post(c, "incidents:set_lead", s, {"lead": s["legal"].pk}),
        lambda s: Incident.objects.get(pk=s["incident"].pk).lead_id == s["legal"].pk,
    ),
    "add_member": (
        lambda c, s, u: _post(c, "incidents:add_member", s, {"user": s["legal"].pk, "role": role("legal").pk}),
        lambda s: Membership.objects.filter(incident=s["incident"], user=s["legal"], role__code="legal").exists(),
    ),
    "remove_member": (
        lambda c, s, u: _post(c, "incidents:remove_member", s, {}, pk=s["membership"].pk),
        lambda s: not Membership.objects.filter(pk=s["membership"].pk).exists(),
    ),
    "edit": (
        lambda c, s, u: c.post(
            url("incidents:edit", s["incident"]),
            {"title": "Renamed", "summary": "", "category": "other", "source": "", "affected_channels": ["x"]},
        ),
        lambda s: Incident.objects.get(pk=s["incident"].pk).title == "Renamed",
    ),
}

OK = "ok"
ACTION_MATRIX = {
    "add_note": {"communicator": OK, "legal": OK, "team_lead": OK, "observer": 403, "outsider": 404},
    "add_fact": {"communicator": OK, "legal": OK, "team_lead": OK, "observer": 403, "outsider": 404},
    "verify_fact": {"communicator": OK, "legal": OK, "team_lead": OK, "observer": 403, "outsider": 404},
    "transition": {"communicator": OK, "legal": 403, "team_lead": OK, "observer": 403, "outsider": 404},
    "acknowledge": {"communicator": OK, "legal": 403, "team_lead": OK, "observer": 403, "outsider": 404},
    "severity": {"communicator": 403, "legal": 403, "team_lead": OK, "observer": 403, "outsider": 404},
    "set_lead": {"communicator": 403, "legal": 403, "team_lead": OK, "observer": 403, "outsider": 404},
    "add_member": {"communicator": 403, "legal": 403, "team_lead": OK, "observer": 403, "outsider": 404},
    "remove_member": {"communicator": 403, "legal": 403, "team_lead": OK, "observer": 403, "outsider": 404},
    "edit": {"communicator": OK, "legal": 403, "team_lead": OK, "observer": 403, "outsider": 404},
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", ACTION_MATRIX)
def test_action_access_matrix(personas, client_for, action_setup, action, persona):
    user = personas[persona]
    perform, took_effect = ACTIONS[action]
    response = perform(client_for(user), action_setup, user)
    expected = ACTION_MATRIX[action][persona]
    if expected == OK:
        assert response.status_code == 302
        assert response["Location"] == action_setup["incident"].get_absolute_url()
        assert took_effect(action_setup)
    else:
        assert response.status_code == expected
        assert not took_effect(action_setup)


@pytest.mark.parametrize("name", ["incidents:add_note", "incidents:transition", "incidents:acknowledge"])
def test_actions_refuse_get(client_for, communicator, incident, name):
    assert client_for(communicator).get(url(name, incident)).status_code == 405


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_through_the_form(personas, client_for, persona, team_lead):
    user = personas[persona]
    data = {
        "title": "Influencer says our app leaks photos",
        "summary": "A video with 2M views.",
        "category": "data_breach",
        "severity": "2",
        "source": "https://tiktok.example/v/1",
        "affected_channels": ["tiktok", "x"],
        "detected_at": "",
        "lead": team_lead.pk,
        "confidential": "on",
    }
    response = client_for(user).post(url("incidents:create"), data)
    created = Incident.objects.filter(title=data["title"]).first()
    if persona in ("communicator", "team_lead"):
        assert created is not None
        assert response.status_code == 302
        assert response["Location"] == created.get_absolute_url()
        assert created.lead == team_lead
        assert created.confidential
        assert created.affected_channels == ["x", "tiktok"]
        assert created.timeline.filter(kind=TimelineKind.OPENED).exists()
    else:
        assert response.status_code == 403
        assert created is None


def test_create_form_shows_errors_and_service_errors(client_for, communicator):
    client = client_for(communicator)
    response = client.post(url("incidents:create"), {"title": "", "category": "other", "severity": "3"})
    assert response.status_code == 200
    assert response.context["form"].errors["title"]
    future = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url("incidents:create"),
        {"title": "From the future", "category": "other", "severity": "3", "detected_at": future},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["detected_at"]
    assert not Incident.objects.filter(title="From the future").exists()


def test_edit_form_offers_confidential_only_to_managers(client_for, communicator, team_lead, incident):
    assert "confidential" not in client_for(communicator).get(url("incidents:edit", incident)).context["form"].fields
    assert "confidential" in client_for(team_lead).get(url("incidents:edit", incident)).context["form"].fields


def test_edit_logs_the_change(client_for, communicator, incident):
    client_for(communicator).post(
        url("incidents:edit", incident),
        {
            "title": incident.title,
            "summary": "New facts.",
            "category": "viral_complaint",
            "source": "",
            "affected_channels": [],
        },
    )
    incident.refresh_from_db()
    assert incident.summary == "New facts."
    assert incident.timeline.filter(kind=TimelineKind.EDIT).exists()


def test_closed_incident_cannot_be_edited(client_for, team_lead, incident):
    for to_status in ("resolved", "closed"):
        services.incident_change_status(actor=team_lead, incident=incident, to_status=to_status)
    assert client_for(team_lead).get(url("incidents:edit", incident)).status_code == 403


def test_invalid_action_input_is_reported_not_applied(client_for, communicator, incident):
    response = client_for(communicator).post(
        url("incidents:add_note", incident), {"kind": "opened", "body": ""}, follow=True
    )
    assert response.status_code == 200
    assert messages_of(response)
    assert not TimelineEntry.objects.filter(incident=incident).exists()


def test_lead_membership_cannot_be_removed(client_for, team_lead, confidential_incident):
    membership = confidential_incident.memberships.get(role__code="lead")
    response = client_for(team_lead).post(
        url("incidents:remove_member", confidential_incident, pk=membership.pk), follow=True
    )
    assert response.status_code == 200
    assert any("lead" in m for m in messages_of(response))
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_membership_of_another_incident_is_404(client_for, team_lead, incident, confidential_incident):
    other = confidential_incident.memberships.get(role__code="lead")
    response = client_for(team_lead).post(url("incidents:remove_member", incident, pk=other.pk))
    assert response.status_code == 404
    assert Membership.objects.filter(pk=other.pk).exists()


# --- confidential incidents ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["communicator", "legal", "observer"])
def test_confidential_incident_hidden_from_non_members(personas, client_for, confidential_incident, persona):
    client = client_for(personas[persona])
    title = confidential_incident.title
    assert client.get(url("incidents:detail", confidential_incident)).status_code == 404
    assert client.get(url("incidents:edit", confidential_incident)).status_code == 404
    assert title not in client.get(url("dashboard")).content.decode()
    assert title not in client.get(url("incidents:list")).content.decode()
    assert title not in client.get(url("incidents:list"), {"q": "Leaked memo"}).content.decode()
    assert title not in client.get(url("incidents:list"), {"q": confidential_incident.reference}).content.decode()
    response = client.post(url("incidents:add_note", confidential_incident), {"kind": "note", "body": "peek"})
    assert response.status_code == 404
    assert not confidential_incident.timeline.exists()


def test_confidential_incident_hidden_from_outsider(client_for, outsider, confidential_incident):
    client = client_for(outsider)
    assert client.get(url("incidents:detail", confidential_incident)).status_code == 404
    assert client.get(url("incidents:list"), {"q": "Leaked"}).status_code == 403


def test_confidential_incident_visible_to_members(client_for, team_lead, confidential_incident):
    client = client_for(team_lead)
    title = confidential_incident.title
    assert title in client.get(url("incidents:detail", confidential_incident)).content.decode()
    assert title in client.get(url("dashboard")).content.decode()
    assert title in client.get(url("incidents:list")).content.decode()
    assert title in client.get(url("incidents:list"), {"q": "leaked memo"}).content.decode()


def test_confidential_incident_visible_to_added_member(client_for, team_lead, communicator, confidential_incident):
    client_for(team_lead).post(
        url("incidents:add_member", confidential_incident), {"user": communicator.pk, "role": role("scribe").pk}
    )
    response = client_for(communicator).get(url("incidents:detail", confidential_incident))
    assert response.status_code == 200


def test_superuser_sees_confidential_incident(client_for, admin_user, confidential_incident):
    assert client_for(admin_user).get(url("incidents:detail", confidential_incident)).status_code == 200


# --- transitions through the views -----------------------------------------------------------


def _transition(client, incident, to_status, **extra):
    return client.post(url("incidents:transition", incident), {"to_status": to_status, **extra}, follow=True)


def test_allowed_transitions_walk_the_workflow(client_for, communicator, team_lead, incident):
    for to_status in ("investigating", "responding", "monitoring", "resolved"):
        response = _transition(client_for(communicator), incident, to_status, comment="step")
        assert response.status_code == 200
        incident.refresh_from_db()
        assert incident.status == to_status
    assert incident.acknowledged_at is not None
    assert incident.resolved_at is not None
    response = _transition(client_for(team_lead), incident, "closed", confirmed="1")
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    assert incident.timeline.filter(kind=TimelineKind.STATUS_CHANGE).count() == 5


def test_invalid_transition_is_refused_with_a_message(client_for, communicator, incident):
    services.incident_change_status(actor=communicator, incident=incident, to_status="investigating")
    response = _transition(client_for(communicator), incident, "detected")
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == incident.get_absolute_url()
    assert any("cannot go from" in m for m in messages_of(response))
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING


def test_unknown_status_is_refused(client_for, communicator, incident):
    response = _transition(client_for(communicator), incident, "exploded")
    assert messages_of(response)
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED


def test_communicator_cannot_close(client_for, communicator, incident):
    for to_status in ("investigating", "resolved"):
        services.incident_change_status(actor=communicator, incident=incident, to_status=to_status)
    response = client_for(communicator).post(url("incidents:transition", incident), {"to_status": "closed"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED


def test_acknowledge_twice_shows_a_message(client_for, communicator, incident):
    client = client_for(communicator)
    client.post(url("incidents:acknowledge", incident))
    response = client.post(url("incidents:acknowledge", incident), follow=True)
    assert any("already acknowledged" in m for m in messages_of(response))


def _buttons(response) -> set[str]:
    return {str(status.value) for status in response.context["transitions"]}


def test_war_room_shows_only_usable_transition_buttons(client_for, communicator, team_lead, observer, incident):
    page = client_for(communicator).get(url("incidents:detail", incident))
    assert _buttons(page) == {"investigating", "responding", "monitoring", "resolved"}
    assert 'value="investigating"' in page.content.decode()
    assert url("incidents:acknowledge", incident) in page.content.decode()

    observer_page = client_for(observer).get(url("incidents:detail", incident))
    assert _buttons(observer_page) == set()
    assert url("incidents:transition", incident) not in observer_page.content.decode()
    assert url("incidents:acknowledge", incident) not in observer_page.content.decode()
    assert url("incidents:add_note", incident) not in observer_page.content.decode()

    for to_status in ("investigating", "resolved"):
        services.incident_change_status(actor=team_lead, incident=incident, to_status=to_status)
    assert "closed" not in _buttons(client_for(communicator).get(url("incidents:detail", incident)))
    lead_page = client_for(team_lead).get(url("incidents:detail", incident))
    assert _buttons(lead_page) == {"responding", "closed"}
    assert 'value="closed"' in lead_page.content.decode()
    assert url("incidents:acknowledge", incident) not in lead_page.content.decode()


def test_war_room_management_forms_only_for_managers(client_for, communicator, team_lead, incident):
    comms_page = client_for(communicator).get(url("incidents:detail", incident)).content.decode()
    lead_page = client_for(team_lead).get(url("incidents:detail", incident)).content.decode()
    for name in ("incidents:severity", "incidents:manage_team"):
        assert url(name, incident) not in comms_page
        assert url(name, incident) in lead_page
    # The team forms load on demand (incidents.views.ManageTeamView): only for a manager.
    team_forms = client_for(team_lead).get(url("incidents:manage_team", incident)).content.decode()
    for name in ("incidents:set_lead", "incidents:add_member"):
        assert url(name, incident) in team_forms
    assert client_for(communicator).get(url("incidents:manage_team", incident)).status_code == 403


def test_war_room_shows_timeline_newest_first(client_for, communicator, incident):
    services.timeline_add_note(actor=communicator, incident=incident, body="first note")
    services.timeline_add_note(actor=communicator, incident=incident, body="second note")
    page = client_for(communicator).get(url("incidents:detail", incident)).content.decode()
    assert page.index("second note") < page.index("first note")


# --- list: filters and pagination ----------------------------------------------------------------


def test_list_filters_by_severity_and_paginates_keeping_the_filters(client_for, observer):
    IncidentFactory.create_batch(30, severity=1, title="Critical thing")
    IncidentFactory.create_batch(3, severity=4, title="Low thing")
    client = client_for(observer)
    response = client.get(url("incidents:list"), {"severity": "1"})
    assert response.context["paginator"].count == 30
    assert len(response.context["incidents"]) == 25
    page = response.content.decode()
    assert "Low thing" not in page
    assert "severity=1&amp;page=2" in page
    second = client.get(url("incidents:list"), {"severity": "1", "page": "2"})
    assert len(second.context["incidents"]) == 5


def test_list_filters_by_text_status_and_dates(client_for, observer, communicator):
    old = IncidentFactory(title="Old outage", detected_at=timezone.now() - timedelta(days=30))
    new = IncidentFactory(title="New complaint")
    services.incident_change_status(actor=communicator, incident=new, to_status="investigating")
    client = client_for(observer)

    def titles(**params):
        return {i.title for i in client.get(url("incidents:list"), params).context["incidents"]}

    assert titles(q="outage") == {"Old outage"}
    assert titles(q=new.reference) == {"New complaint"}
    assert titles(status="investigating") == {"New complaint"}
    cutoff = (timezone.now() - timedelta(days=2)).date().isoformat()
    assert titles(detected_after=cutoff) == {"New complaint"}
    assert titles(detected_before=cutoff) == {old.title}


def test_list_with_invalid_filter_shows_the_error(client_for, observer, incident):
    response = client_for(observer).get(url("incidents:list"), {"detected_after": "not a date"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["detected_after"]


# --- query counts stay flat ------------------------------------------------------------------------


def _count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _make_incidents(count: int, lead):
    for _ in range(count):
        IncidentFactory(lead=lead)


@pytest.mark.parametrize("page", ["incidents:list", "dashboard"])
def test_list_and_dashboard_query_count_is_flat(client_for, communicator, team_lead, page):
    client = client_for(communicator)
    _make_incidents(1, team_lead)
    # The first request of a test process stamps the session's sign-in time (crisisdesk.middleware) and saves it.
    _count_queries(client, url(page))
    with_one = _count_queries(client, url(page))
    _make_incidents(49, UserFactory(role=TEAM_LEAD))
    confidential = IncidentFactory(confidential=True)
    MembershipFactory(incident=confidential, user=communicator)
    with_fifty = _count_queries(client, url(page))
    assert with_one == with_fifty


def test_war_room_query_count_is_flat(client_for, communicator, team_lead):
    incident = IncidentFactory(lead=team_lead)
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    TimelineEntryFactory(incident=incident, author=communicator)
    FactFactory(incident=incident, created_by=communicator)
    client = client_for(team_lead)
    # The first request of a test process stamps the session's sign-in time (crisisdesk.middleware) and saves it.
    _count_queries(client, url("incidents:detail", incident))
    with_one = _count_queries(client, url("incidents:detail", incident))
    for n in range(19):
        TimelineEntryFactory(incident=incident, author=UserFactory(role=COMMUNICATOR), body=f"note {n}")
    for n in range(5):
        fact = FactFactory(incident=incident, created_by=communicator, claim=f"claim {n}")
        services.fact_verify(actor=team_lead, fact=fact, status="confirmed")
        MembershipFactory(incident=incident, user=UserFactory(role=COMMUNICATOR), role=role("scribe"))
    assert incident.timeline.count() > 20
    with_twenty = _count_queries(client, url("incidents:detail", incident))
    assert with_one == with_twenty


# --- accounts pages ---------------------------------------------------------------------------


def test_login_page_and_login(client, communicator, password):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "comms", "password": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_password_change_and_logout(client_for, communicator, password):
    client = client_for(communicator)
    page = client.get(reverse("password_change")).content.decode()
    assert 'name="new_password1"' in page
    response = client.post(
        reverse("password_change"),
        {
            "old_password": password,
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-new-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("password_change_done")).status_code == 200
    communicator.refresh_from_db()
    assert communicator.check_password("a-new-long-passphrase-42")
    logout_page = client.get(url("dashboard")).content.decode()
    assert f'action="{reverse("logout")}" method="post"' in logout_page
    client.post(reverse("logout"))
    assert client.get(url("dashboard")).status_code == 302


# --- i18n ---------------------------------------------------------------------------------------


def test_french_from_accept_language(client_for, communicator, incident):
    client = client_for(communicator)
    page = client.get(url("dashboard"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="fr">' in page
    assert "Tableau de bord" in page
    assert "Incidents actifs" in page


def test_french_from_language_switcher(client_for, communicator, incident):
    client = client_for(communicator)
    response = client.post(reverse("set_language"), {"language": "fr", "next": url("incidents:list")})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    page = client.get(url("incidents:detail", incident)).content.decode()
    assert "Chronologie" in page
    assert "Détecté" in page  # the status label, from the model's choices


def test_english_by_default(client_for, communicator, incident):
    page = client_for(communicator).get(url("dashboard")).content.decode()
    assert "Active incidents" in page


# --- clocks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(seconds=20), "< 1 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=2, minutes=15), "2 h 15 min"),
        (timedelta(hours=2, minutes=5), "2 h 05 min"),
        (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
        (timedelta(minutes=-5), "< 1 min"),
    ],
)
def test_duration_filter(span, text):
    assert duration(span) == text


def test_clocks_show_elapsed_or_time_taken(db):
    now = timezone.now()
    incident = IncidentFactory.build(
        detected_at=now - timedelta(hours=3), acknowledged_at=now - timedelta(hours=2, minutes=30)
    )
    since_detection, acknowledged, first_response = incident_clocks(incident, now=now)
    assert (since_detection.done, since_detection.span) == (False, timedelta(hours=3))
    assert (acknowledged.done, acknowledged.span) == (True, timedelta(minutes=30))
    assert (first_response.done, first_response.span) == (False, timedelta(hours=3))


def test_dashboard_groups_active_incidents_by_severity(client_for, communicator, team_lead):
    critical = IncidentFactory(severity=1, title="Critical one")
    low = IncidentFactory(severity=4, title="Low one")
    resolved = IncidentFactory(severity=1, title="Done one")
    for to_status in ("investigating", "resolved"):
        services.incident_change_status(actor=team_lead, incident=resolved, to_status=to_status)
    response = client_for(communicator).get(url("dashboard"))
    groups = {group["severity"]: [i.title for i in group["incidents"]] for group in response.context["groups"]}
    assert groups == {1: [critical.title], 2: [], 3: [], 4: [low.title]}
    assert "Done one" not in response.content.decode()
    assert "not yet" in response.content.decode()
