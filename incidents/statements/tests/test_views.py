"""Statement pages in the browser: access per persona, every POST action, error mapping, war room, audit, XSS."""

from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review import services as review
from crisisdesk.review.models import Action, AuditEvent, ReviewDecision, ReviewStatus
from crisisdesk.review.tests.helpers import (
    HOLDING_TEXT,
    approved_key_message,
    make_key_message,
    make_statement,
    second_communicator,
    statement_in,
)
from crisisdesk.roles import COMMUNICATOR, LEGAL
from crisisdesk.testing.factories import FactFactory, IncidentFactory, MembershipFactory, UserFactory, role
from incidents import permissions
from incidents import services as incident_services
from incidents.models import FactStatus
from incidents.statements.models import Statement, StatementPublication

pytestmark = pytest.mark.django_db

S = ReviewStatus
PERSONAS = ["communicator", "legal", "team_lead", "observer", "outsider"]
READERS = ["communicator", "legal", "team_lead", "observer"]
IP = "203.0.113.7"


@pytest.fixture
def author(db):
    """A second communicator who writes the statements, so every persona is free to review them."""
    return second_communicator()


@pytest.fixture
def build(incident, author, legal, team_lead):
    """``build(status, **kwargs)``: a statement by ``author`` brought to ``status`` through the engine."""

    def _build(status, **kwargs):
        kwargs.setdefault("incident", incident)
        return statement_in(status, author=author, reviewer=legal, publisher=author, withdrawer=team_lead, **kwargs)

    return _build


def statement_page(statement, name="incidents:statement_detail"):
    return reverse(name, kwargs={"reference": statement.incident.reference, "pk": statement.pk})


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def post_action(client, statement, action, **data):
    """POST one workflow button as the browser with JavaScript does: publish and withdraw already confirmed."""
    return client.post(
        statement_page(statement, "incidents:statement_transition"),
        {"action": action, "confirmed": "1", **data},
        REMOTE_ADDR=IP,
    )


def reload(statement) -> Statement:
    return Statement.objects.get(pk=statement.pk)


# --- pages: who may open what ---------------------------------------------------------------------------

PAGE_MATRIX = {
    "create": {"communicator": 200, "legal": 403, "team_lead": 200, "observer": 403, "outsider": 404},
    "pick": {"communicator": 200, "legal": 403, "team_lead": 200, "observer": 403, "outsider": 404},
    "detail": {"communicator": 200, "legal": 200, "team_lead": 200, "observer": 200, "outsider": 404},
    "edit": {"communicator": 200, "legal": 403, "team_lead": 200, "observer": 403, "outsider": 404},
    "item_audit": {"communicator": 200, "legal": 200, "team_lead": 200, "observer": 200, "outsider": 404},
    "incident_audit": {"communicator": 200, "legal": 200, "team_lead": 200, "observer": 200, "outsider": 404},
}


def page_url(page, statement):
    reference = statement.incident.reference
    return {
        "create": lambda: reverse("incidents:statement_create", kwargs={"reference": reference}),
        "pick": lambda: reverse("incidents:statement_pick_key_message", kwargs={"reference": reference}),
        "detail": lambda: statement_page(statement),
        "edit": lambda: statement_page(statement, "incidents:statement_edit"),
        "item_audit": lambda: reverse("review:audit", kwargs={"kind": "statement", "pk": statement.pk}),
        "incident_audit": lambda: reverse("incidents:audit", kwargs={"reference": reference}),
    }[page]()


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", PAGE_MATRIX)
def test_page_access_matrix(personas, client_for, build, persona, page):
    statement = build(S.DRAFT)
    response = client_for(personas[persona]).get(page_url(page, statement))
    assert response.status_code == PAGE_MATRIX[page][persona]


@pytest.mark.parametrize("page", PAGE_MATRIX)
def test_anonymous_is_sent_to_login(client, build, page):
    response = client.get(page_url(page, build(S.DRAFT)))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_confidential_statement_is_hidden_from_non_members(personas, client_for, confidential_incident, persona):
    statement = statement_in(
        S.IN_REVIEW,
        author=personas["team_lead"],
        reviewer=None,
        publisher=None,
        withdrawer=None,
        incident=confidential_incident,
    )
    expected = 200 if persona == "team_lead" else 404
    client = client_for(personas[persona])
    assert client.get(statement_page(statement)).status_code == expected
    assert client.get(reverse("review:review", kwargs={"kind": "statement", "pk": statement.pk})).status_code == (
        expected
    )


def test_statement_of_another_incident_is_404(client_for, communicator, build):
    statement = build(S.DRAFT)
    other = IncidentFactory()
    response = client_for(communicator).get(
        reverse("incidents:statement_detail", kwargs={"reference": other.reference, "pk": statement.pk})
    )
    assert response.status_code == 404


# --- POST actions: who may do what, and whether the state changed -------------------------------------------

# action: (start state, extra data, end state, {persona: outcome}); outcome "ok" changes the state.
ACTION_MATRIX = {
    "submit": (
        S.DRAFT,
        {},
        S.IN_REVIEW,
        {"communicator": "ok", "legal": 403, "team_lead": "ok", "observer": 403, "outsider": 404},
    ),
    "approve": (
        S.IN_REVIEW,
        {"revision": "current"},
        S.APPROVED,
        {"communicator": 403, "legal": "ok", "team_lead": 403, "observer": 403, "outsider": 404},
    ),
    "request_changes": (
        S.IN_REVIEW,
        {"comment": "Say sorry first."},
        S.DRAFT,
        {"communicator": 403, "legal": "ok", "team_lead": 403, "observer": 403, "outsider": 404},
    ),
    "reject": (
        S.IN_REVIEW,
        {"comment": "Never."},
        S.REJECTED,
        {"communicator": 403, "legal": "ok", "team_lead": 403, "observer": 403, "outsider": 404},
    ),
    "publish": (
        S.APPROVED,
        {"revision": "current"},
        S.PUBLISHED,
        {"communicator": "ok", "legal": 403, "team_lead": "ok", "observer": 403, "outsider": 404},
    ),
    "withdraw": (
        S.PUBLISHED,
        {"comment": "Superseded by the recall notice."},
        S.WITHDRAWN,
        {"communicator": 403, "legal": "ok", "team_lead": "ok", "observer": 403, "outsider": 404},
    ),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", ACTION_MATRIX)
def test_action_access_matrix(personas, client_for, build, action, persona):
    start, data, end, outcomes = ACTION_MATRIX[action]
    statement = build(start)
    data = {k: (statement.current_revision_id if v == "current" else v) for k, v in data.items()}
    response = post_action(client_for(personas[persona]), statement, action, **data)
    outcome = outcomes[persona]
    if outcome == "ok":
        assert response.status_code == 302
        assert response["Location"] == statement_page(statement)
        assert reload(statement).status == end
        event = AuditEvent.objects.filter(object_id=statement.pk, action=action).get()
        assert event.actor == personas[persona]
        assert event.ip_address == IP
    else:
        assert response.status_code == outcome
        assert reload(statement).status == start


@pytest.mark.parametrize("action", ["submit", "approve", "publish"])
def test_actions_refuse_get(client_for, communicator, build, action):
    statement = build(S.DRAFT)
    assert client_for(communicator).get(statement_page(statement, "incidents:statement_transition")).status_code == 405


def test_anonymous_action_goes_to_login(client, build):
    statement = build(S.DRAFT)
    response = post_action(client, statement, "submit")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert reload(statement).status == S.DRAFT


def test_author_cannot_approve_own_statement_even_as_legal(client_for, incident):
    both = UserFactory(username="comms-and-legal", role=COMMUNICATOR)
    both.groups.add(*UserFactory(username="tmp-legal", role=LEGAL).groups.all())
    statement = statement_in(
        S.IN_REVIEW, author=both, reviewer=None, publisher=None, withdrawer=None, incident=incident
    )
    response = post_action(client_for(both), statement, "approve", revision=statement.current_revision_id)
    assert response.status_code == 403
    assert reload(statement).status == S.IN_REVIEW


def test_approving_a_stale_revision_is_refused_with_a_message(client_for, legal, author, build):
    statement = build(S.IN_REVIEW)
    seen = statement.current_revision_id
    from incidents.statements.services import statement_update

    statement_update(actor=author, statement=statement, body="Changed while Legal was reading.")
    review.review_submit(actor=author, item=reload(statement))
    response = post_action(client_for(legal), statement, "approve", revision=seen)
    assert response.status_code == 302
    assert any("changed since you opened it" in m for m in messages_of(response))
    assert reload(statement).status == S.IN_REVIEW
    assert not ReviewDecision.objects.filter(object_id=statement.pk, decision="approve").exists()


def test_approve_without_revision_is_refused(client_for, legal, build):
    statement = build(S.IN_REVIEW)
    response = post_action(client_for(legal), statement, "approve")
    assert response.status_code == 302
    assert messages_of(response)
    assert reload(statement).status == S.IN_REVIEW


@pytest.mark.parametrize(
    ("action", "start", "persona"),
    [
        ("request_changes", S.IN_REVIEW, "legal"),
        ("reject", S.IN_REVIEW, "legal"),
        ("withdraw", S.PUBLISHED, "team_lead"),
    ],
)
def test_reason_is_required(personas, client_for, build, action, start, persona):
    statement = build(start)
    response = post_action(client_for(personas[persona]), statement, action, comment="  ")
    assert response.status_code == 302
    assert any("required" in m for m in messages_of(response))
    assert reload(statement).status == start


def test_unknown_action_is_refused(client_for, communicator, build):
    statement = build(S.DRAFT)
    response = post_action(client_for(communicator), statement, "delete")
    assert response.status_code == 302
    assert messages_of(response)
    assert reload(statement).status == S.DRAFT


def test_invalid_transition_shows_a_message(client_for, communicator, build):
    statement = build(S.DRAFT)
    response = post_action(client_for(communicator), statement, "publish", revision=statement.current_revision_id)
    assert response.status_code == 302
    assert any("Not possible while the item is draft" in m for m in messages_of(response))
    assert reload(statement).status == S.DRAFT


def test_publish_refusal_reason_is_shown(client_for, communicator, build, incident):
    fact = FactFactory(incident=incident)
    statement = build(S.APPROVED, facts=[fact])
    response = post_action(client_for(communicator), statement, "publish", revision=statement.current_revision_id)
    assert any("confirmed facts only" in m for m in messages_of(response))
    assert reload(statement).status == S.APPROVED


def test_publish_refused_when_over_the_channel_limit(client_for, communicator, build):
    statement = build(S.APPROVED, channels=["x"], body="a" * 281)
    page = client_for(communicator).get(statement_page(statement)).content.decode()
    assert "281 / 280 characters" in page
    assert "too long, cannot be published" in page
    response = post_action(client_for(communicator), statement, "publish", revision=statement.current_revision_id)
    assert any("Too long for X" in m for m in messages_of(response))
    assert reload(statement).status == S.APPROVED


def test_next_must_be_a_local_url(client_for, legal, build):
    statement = build(S.IN_REVIEW)
    response = post_action(
        client_for(legal), statement, "approve", revision=statement.current_revision_id, next="https://evil.example/"
    )
    assert response["Location"] == statement_page(statement)
    statement = build(S.IN_REVIEW, title="second")
    response = post_action(
        client_for(legal), statement, "approve", revision=statement.current_revision_id, next=reverse("review:queue")
    )
    assert response["Location"] == reverse("review:queue")


# --- create, edit ---------------------------------------------------------------------------------------------


def statement_form(**overrides):
    data = {
        "title": "We are looking into it",
        "channels": ["x", "website"],
        "language": "en",
        "audience": "customers",
        "body_format": "plain",
        "body": "We are aware and investigating.",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_access_matrix(personas, client_for, incident, persona):
    response = client_for(personas[persona]).post(
        reverse("incidents:statement_create", kwargs={"reference": incident.reference}),
        statement_form(),
        REMOTE_ADDR=IP,
    )
    created = Statement.objects.filter(incident=incident).first()
    if persona in ("communicator", "team_lead"):
        assert response.status_code == 302
        assert response["Location"] == statement_page(created)
        assert created.status == S.DRAFT
        assert created.created_by == personas[persona]
        assert AuditEvent.objects.get(object_id=created.pk, action=Action.CREATE).ip_address == IP
    else:
        assert response.status_code == PAGE_MATRIX["create"][persona]
        assert created is None


def test_create_with_facts_and_errors(client_for, communicator, incident):
    client = client_for(communicator)
    url = reverse("incidents:statement_create", kwargs={"reference": incident.reference})
    fact = FactFactory(incident=incident, claim="Batch 42 affected")
    other_fact = FactFactory(incident=IncidentFactory())
    page = client.get(url).content.decode()
    assert "[Unverified] Batch 42 affected" in page
    response = client.post(url, statement_form(channels=[], facts=[other_fact.pk]))
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"channels", "facts"}
    response = client.post(url, statement_form(facts=[fact.pk]))
    assert response.status_code == 302
    assert list(Statement.objects.get().facts.all()) == [fact]


def test_closed_incident_refuses_new_statements(client_for, team_lead, incident):
    from django.utils import timezone

    type(incident).objects.filter(pk=incident.pk).update(
        status="closed", acknowledged_at=timezone.now(), resolved_at=timezone.now(), closed_at=timezone.now()
    )
    response = client_for(team_lead).get(
        reverse("incidents:statement_create", kwargs={"reference": incident.reference})
    )
    assert response.status_code == 403


def test_edit_makes_a_new_revision_and_voids_the_approval(client_for, author, build):
    statement = build(S.APPROVED)
    client = client_for(author)
    url = statement_page(statement, "incidents:statement_edit")
    form = client.get(url).context["form"]
    assert form.initial["body"] == HOLDING_TEXT
    response = client.post(
        url, statement_form(title=statement.title, body="New words.", comment="tone"), REMOTE_ADDR=IP
    )
    assert response.status_code == 302
    statement = reload(statement)
    assert statement.status == S.DRAFT
    assert statement.current_revision.number == 2
    event = AuditEvent.objects.get(object_id=statement.pk, action=Action.EDIT)
    assert (event.comment, event.ip_address, event.from_state, event.to_state) == ("tone", IP, S.APPROVED, S.DRAFT)


def test_edit_without_change_makes_no_revision(client_for, author, build):
    statement = build(S.DRAFT)
    client = client_for(author)
    url = statement_page(statement, "incidents:statement_edit")
    data = {**client.get(url).context["form"].initial}
    data.pop("facts")
    response = client.post(url, data)
    assert response.status_code == 302
    assert "Nothing changed." in messages_of(response)
    assert reload(statement).current_revision.number == 1


@pytest.mark.parametrize("persona", PERSONAS)
def test_edit_access_matrix(personas, client_for, build, persona):
    statement = build(S.DRAFT)
    response = client_for(personas[persona]).post(
        statement_page(statement, "incidents:statement_edit"), statement_form(body="Changed by someone.")
    )
    changed = reload(statement).current_revision.number == 2
    if persona in ("communicator", "team_lead"):
        assert response.status_code == 302
        assert changed
    else:
        assert response.status_code == PAGE_MATRIX["edit"][persona]
        assert not changed


def test_published_statement_is_not_edited(client_for, team_lead, build):
    statement = build(S.PUBLISHED)
    response = client_for(team_lead).get(statement_page(statement, "incidents:statement_edit"))
    assert response.status_code == 302
    assert any("withdraw it and write a new one" in m for m in messages_of(response))


# --- starting from a key message ------------------------------------------------------------------------------


def test_pick_ranks_only_usable_key_messages_the_chosen_language_first(client_for, communicator, legal, incident):
    from datetime import timedelta

    from django.utils import timezone

    author = second_communicator()
    usable = approved_key_message(author=author, reviewer=legal, title="Usable EN")
    approved_key_message(author=author, reviewer=legal, title="Usable FR", language="fr")
    make_key_message(author=author, title="Draft EN")
    approved_key_message(
        author=author, reviewer=legal, title="Expired EN", valid_until=timezone.localdate() - timedelta(days=1)
    )
    url = reverse("incidents:statement_pick_key_message", kwargs={"reference": incident.reference})
    response = client_for(communicator).get(url, {"language": "en"})
    # Another language is ranked last, not hidden; drafts and expired ones are never offered.
    assert [row.key_message.title for row in response.context["suggestions"]] == ["Usable EN", "Usable FR"]
    assert f"?key_message={usable.pk}" in response.content.decode()
    response = client_for(communicator).get(url, {"language": "fr"})
    assert [row.key_message.title for row in response.context["suggestions"]] == ["Usable FR", "Usable EN"]
    assert "other language (English)" in response.content.decode()


def test_verbatim_key_message_is_pre_approved_and_publishes_without_review(client_for, communicator, legal, incident):
    key_message = approved_key_message(author=second_communicator(), reviewer=legal)
    client = client_for(communicator)
    url = reverse("incidents:statement_create", kwargs={"reference": incident.reference})
    initial = client.get(url, {"key_message": key_message.pk}).context["form"].initial
    assert initial["body"] == key_message.body
    data = statement_form(
        title=initial["title"], body=initial["body"].replace("\n", "\r\n"), from_key_message=key_message.pk
    )
    response = client.post(url, data)
    statement = Statement.objects.get()
    assert response["Location"] == statement_page(statement)
    assert statement.status == S.APPROVED
    assert statement.from_key_message == key_message
    response = post_action(client, statement, "publish", revision=statement.current_revision_id)
    assert reload(statement).status == S.PUBLISHED


def test_changed_key_message_text_needs_a_review(client_for, communicator, legal, incident):
    key_message = approved_key_message(author=second_communicator(), reviewer=legal)
    response = client_for(communicator).post(
        reverse("incidents:statement_create", kwargs={"reference": incident.reference}),
        statement_form(title=key_message.title, body=key_message.body + "!", from_key_message=key_message.pk),
    )
    assert response.status_code == 302
    assert Statement.objects.get().status == S.DRAFT


def test_unusable_key_message_is_refused(client_for, communicator, incident):
    draft = make_key_message(author=second_communicator())
    response = client_for(communicator).post(
        reverse("incidents:statement_create", kwargs={"reference": incident.reference}),
        statement_form(from_key_message=draft.pk),
    )
    assert response.status_code == 200
    assert "from_key_message" in response.context["form"].errors
    assert not Statement.objects.exists()


# --- detail page, live URLs -------------------------------------------------------------------------------------


def test_detail_shows_only_usable_buttons(client_for, communicator, legal, observer, build):
    statement = build(S.IN_REVIEW)
    legal_page = client_for(legal).get(statement_page(statement))
    assert legal_page.context["reviewer_actions"] == [Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT]
    assert 'value="approve"' in legal_page.content.decode()
    observer_page = client_for(observer).get(statement_page(statement)).content.decode()
    assert 'name="action"' not in observer_page
    communicator_page = client_for(communicator).get(statement_page(statement))
    assert communicator_page.context["actions"] == [Action.EDIT]
    assert "Waiting for approval by:" in communicator_page.content.decode()


def test_record_live_url(client_for, communicator, legal, build):
    statement = build(S.PUBLISHED)
    url = statement_page(statement, "incidents:statement_record_url")
    page = client_for(communicator).get(statement_page(statement))
    assert page.context["record_url_form"] is not None
    assert client_for(legal).post(url, {"channel": "x", "url": "https://x.example/s/1"}).status_code == 403
    response = client_for(communicator).post(url, {"channel": "x", "url": "https://x.example/s/1"}, REMOTE_ADDR=IP)
    assert response.status_code == 302
    publication = StatementPublication.objects.get()
    assert (publication.channel, publication.url, publication.recorded_by) == (
        "x",
        "https://x.example/s/1",
        communicator,
    )
    assert AuditEvent.objects.get(action=Action.RECORD_URL).ip_address == IP
    response = client_for(communicator).post(url, {"channel": "tiktok", "url": "https://t.example/1"})
    assert messages_of(response)
    assert StatementPublication.objects.count() == 1


def test_record_url_before_publishing_is_refused(client_for, communicator, build):
    statement = build(S.APPROVED)
    response = client_for(communicator).post(
        statement_page(statement, "incidents:statement_record_url"), {"channel": "x", "url": "https://x.example/1"}
    )
    assert response.status_code == 302
    assert any("Only a published statement" in m for m in messages_of(response))
    assert not StatementPublication.objects.exists()


# --- war room and audit trail ---------------------------------------------------------------------------------


def test_war_room_lists_statements_and_offers_new_statement(client_for, communicator, observer, build, incident):
    statement = build(S.IN_REVIEW)
    url = reverse("incidents:detail", kwargs={"reference": incident.reference})
    page = client_for(communicator).get(url).content.decode()
    assert statement_page(statement) in page
    assert "In review" in page
    assert reverse("incidents:statement_create", kwargs={"reference": incident.reference}) in page
    assert reverse("incidents:audit", kwargs={"reference": incident.reference}) in page
    observer_page = client_for(observer).get(url).content.decode()
    assert statement_page(statement) in observer_page
    assert reverse("incidents:statement_create", kwargs={"reference": incident.reference}) not in observer_page


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_war_room_query_count_stays_flat_with_statements(client_for, team_lead, build, incident):
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    build(S.IN_REVIEW)
    client = client_for(team_lead)
    url = reverse("incidents:detail", kwargs={"reference": incident.reference})
    with_one = _count(client, url)
    for n, status in enumerate([S.DRAFT, S.IN_REVIEW, S.APPROVED, S.PUBLISHED, S.WITHDRAWN, S.REJECTED] * 2):
        build(status, title=f"statement {n}")
    assert _count(client, url) == with_one


def test_audit_trails_show_who_what_when_and_ip(client_for, observer, legal, build, incident):
    statement = build(S.IN_REVIEW)
    post_action(client_for(legal), statement, "request_changes", comment="Too defensive.")
    for url in (
        reverse("review:audit", kwargs={"kind": "statement", "pk": statement.pk}),
        reverse("incidents:audit", kwargs={"reference": incident.reference}),
    ):
        response = client_for(observer).get(url)
        page = response.content.decode()
        assert "Changes requested" in page
        assert "Too defensive." in page
        assert IP in page
        assert "In review → Draft" in page
        assert client_for(observer).post(url).status_code == 405


def test_incident_audit_lists_only_this_incidents_statements(client_for, observer, build, incident):
    build(S.DRAFT, title="Ours")
    build(S.DRAFT, title="Theirs", incident=IncidentFactory())
    page = client_for(observer).get(reverse("incidents:audit", kwargs={"reference": incident.reference}))
    titles = {statement.title for _event, statement in page.context["incident_rows"]}
    assert titles == {"Ours"}


# --- XSS corpus: nothing a user typed becomes markup anywhere ---------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '"><svg onload=alert(1)>',
    "<iframe src=//evil>",
    "[click](javascript:alert(1))",
]


class LiveMarkup(HTMLParser):
    """Collects the elements and attributes a browser would build (escaped text builds none)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def assert_no_live_payload(html: str, where: str) -> None:
    parser = LiveMarkup()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in ("iframe", "svg", "img"), (where, tag)
        if tag == "script":
            # Only our own static scripts, loaded by URL.
            assert dict(attrs).get("src", "").startswith("/static/"), (where, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (where, tag, name)
            assert not (value or "").strip().lower().startswith("javascript:"), (where, tag, value)
    for payload in ("<script>alert(1)", "onerror=alert(1)>", "<svg onload", "<iframe src=//evil"):
        assert payload not in html, (where, payload)


@pytest.mark.parametrize("body_format", ["plain", "markdown"])
@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_are_inert_on_every_page(client, client_for, legal, team_lead, body_format, payload):
    incident = IncidentFactory(title=f"Incident {payload}")
    author = second_communicator()
    make = {"author": author, "reviewer": legal, "publisher": author, "withdrawer": team_lead, "incident": incident}
    text = {"title": f"Title {payload}", "body": f"Hello {payload}\n\n{payload}", "body_format": body_format}
    in_review = statement_in(S.IN_REVIEW, **make, **text)
    published = statement_in(S.PUBLISHED, **make, **text)
    withdrawn = statement_in(S.PUBLISHED, **make, **text)
    review.review_withdraw(actor=team_lead, item=withdrawn, reason=f"Because {payload}")
    FactFactory(incident=incident, claim=f"Claim {payload}")

    pages = {
        "war room": reverse("incidents:detail", kwargs={"reference": incident.reference}),
        "statement": statement_page(in_review),
        "published statement": statement_page(published),
        "review page": reverse("review:review", kwargs={"kind": "statement", "pk": in_review.pk}),
        "queue": reverse("review:queue"),
        "audit": reverse("incidents:audit", kwargs={"reference": incident.reference}),
    }
    reviewer = client_for(legal)
    for where, url in pages.items():
        response = reviewer.get(url)
        assert response.status_code == 200, where
        assert_no_live_payload(response.content.decode(), where)
    assert "Title " in reviewer.get(pages["queue"]).content.decode()

    client.logout()
    for where, url in {
        "newsroom": reverse("newsroom:list"),
        "newsroom entry": reverse("newsroom:detail", kwargs={"pk": published.pk}),
        "withdrawn entry": reverse("newsroom:detail", kwargs={"pk": withdrawn.pk}),
    }.items():
        response = client.get(url)
        assert response.status_code == 200, where
        assert_no_live_payload(response.content.decode(), where)

    feed = client.get(reverse("newsroom:feed")).content.decode()
    assert "<script" not in feed and "<img" not in feed and "<svg" not in feed and "<iframe" not in feed
    root = ElementTree.fromstring(feed)
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    entries = root.findall("atom:entry", ns)
    assert len(entries) == 2
    for entry in entries:
        assert entry.find("atom:title", ns).text.endswith(f"Title {payload}")
        assert_no_live_payload(entry.find("atom:content", ns).text, "feed content")


def test_confirmed_fact_lets_the_statement_publish(client_for, communicator, team_lead, build, incident):
    fact = FactFactory(incident=incident)
    incident_services.fact_verify(actor=team_lead, fact=fact, status=FactStatus.CONFIRMED)
    statement = build(S.APPROVED, facts=[fact])
    response = post_action(client_for(communicator), statement, "publish", revision=statement.current_revision_id)
    assert "Published." in messages_of(response)
    assert reload(statement).status == S.PUBLISHED


@pytest.mark.parametrize("closed", [False, True])
@pytest.mark.parametrize("persona", PERSONAS)
def test_draft_permission_is_one_rule_for_page_and_service(client_for, personas, incident, persona, closed):
    """``permissions.can_draft_statement`` decides the page, the war-room button and ``statement_create`` alike."""
    from django.utils import timezone

    if closed:
        now = timezone.now()
        type(incident).objects.filter(pk=incident.pk).update(
            status="closed", acknowledged_at=now, resolved_at=now, closed_at=now
        )
        incident.refresh_from_db()
    user = personas[persona]
    allowed = permissions.can_draft_statement(user, incident)
    assert allowed == (persona in ("communicator", "team_lead") and not closed)
    page = client_for(user).get(reverse("incidents:statement_create", kwargs={"reference": incident.reference}))
    assert page.status_code == (200 if allowed else 404 if persona == "outsider" else 403)
    if allowed:
        assert make_statement(author=user, incident=incident).pk
        return
    # The service refuses too: 403 for a missing role, 409 (InvalidTransition) for a closed incident.
    expected = InvalidTransition if closed and persona in ("communicator", "team_lead") else PermissionDenied
    with pytest.raises(expected):
        make_statement(author=user, incident=incident)
    assert not Statement.objects.exists()


def test_key_message_pick_needs_the_draft_and_key_message_permissions(client_for, personas, incident):
    url = reverse("incidents:statement_pick_key_message", kwargs={"reference": incident.reference})
    statuses = {persona: client_for(personas[persona]).get(url).status_code for persona in PERSONAS}
    assert statuses == {"communicator": 200, "legal": 403, "team_lead": 200, "observer": 403, "outsider": 404}
