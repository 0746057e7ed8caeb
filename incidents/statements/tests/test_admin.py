"""Statement admin: writes go through the services, the workflow through the engine's actions, per persona.

A POST of the change form that adds a status change must not publish (nor change
the status); approving in the admin keeps the four-eyes rule and the roles;
revisions, decisions and the audit trail are view-only; confidential statements
stay hidden; titles and bodies are escaped on every page.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from crisisdesk.review import services as review
from crisisdesk.review.models import Action, AuditEvent, ReviewDecision, ReviewRequest, ReviewStatus, Revision
from crisisdesk.review.tests.helpers import make_statement, statement_in
from crisisdesk.roles import COMMUNICATOR, LEGAL
from crisisdesk.testing.factories import FactFactory, UserFactory
from incidents.statements.models import Statement, StatementPublication
from incidents.statements.services import statement_record_url, statement_update
from incidents.statements.tests.test_api import XSS_CORPUS, _LiveElements
from incidents.tests.test_admin import change_form_data, change_url, messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(staff_people):
    return staff_people


S = ReviewStatus
PERSONAS = ["communicator", "comms2", "legal", "team_lead", "lead2", "observer", "outsider"]
CHANGELIST = "admin:incidents_statement_changelist"


@pytest.fixture
def build(incident, communicator, legal, team_lead, people):
    def _build(status, **kwargs):
        return statement_in(
            status,
            author=communicator,
            reviewer=legal,
            publisher=communicator,
            withdrawer=team_lead,
            incident=kwargs.pop("incident", incident),
            **kwargs,
        )

    return _build


def run_action(client, action: str, statement, *, comment: str = "Looks right.", revision=None):
    """POST an admin action on one statement; confirmed actions are confirmed with the revision shown."""
    changelist = reverse(CHANGELIST)
    data = {"action": f"{action}_items", "_selected_action": [statement.pk]}
    if action in ("approve", "request_changes", "reject", "withdraw"):
        revision = revision or statement.current_revision
        data.update({"apply": "1", "comment": comment, f"revision_{statement.pk}": revision.pk})
    return client.post(changelist, data)


ALLOWED = {
    Action.SUBMIT: {"communicator", "comms2", "team_lead", "lead2"},
    Action.APPROVE: {"legal"},
    Action.REQUEST_CHANGES: {"legal"},
    Action.REJECT: {"legal"},
    Action.PUBLISH: {"communicator", "comms2", "team_lead", "lead2"},
    Action.WITHDRAW: {"legal", "team_lead", "lead2"},
}
FROM_STATE = {
    Action.SUBMIT: S.DRAFT,
    Action.APPROVE: S.IN_REVIEW,
    Action.REQUEST_CHANGES: S.IN_REVIEW,
    Action.REJECT: S.IN_REVIEW,
    Action.PUBLISH: S.APPROVED,
    Action.WITHDRAW: S.PUBLISHED,
}
EXPECTED_STATE = {
    Action.SUBMIT: S.IN_REVIEW,
    Action.APPROVE: S.APPROVED,
    Action.REQUEST_CHANGES: S.DRAFT,
    Action.REJECT: S.REJECTED,
    Action.PUBLISH: S.PUBLISHED,
    Action.WITHDRAW: S.WITHDRAWN,
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(ALLOWED))
def test_every_admin_action_for_every_persona(admin_as, build, action, persona):
    statement = build(FROM_STATE[action])
    events_before = AuditEvent.objects.count()

    response = run_action(admin_as(persona), action, statement)

    statement.refresh_from_db()
    if persona == "outsider":
        # No role, no statement permission: the admin list itself is forbidden.
        assert response.status_code == 403
        assert statement.status == FROM_STATE[action]
    elif persona in ALLOWED[action]:
        assert response.status_code == 302
        assert statement.status == EXPECTED_STATE[action], messages_of(response)
        assert AuditEvent.objects.count() > events_before
        assert any(statement.title in m for m in messages_of(response))
        assert statement.audit_events().first().ip_address == "127.0.0.1"
    else:
        assert response.status_code == 302
        assert statement.status == FROM_STATE[action]
        assert AuditEvent.objects.count() == events_before
        assert [m for m in messages_of(response) if "may not" in m or "wrote" in m], messages_of(response)


FORBIDDEN = [(action, state) for action in ALLOWED for state in S.values if state not in review.TRANSITIONS[action]]


@pytest.mark.parametrize(("action", "state"), FORBIDDEN)
def test_every_forbidden_transition_is_reported(admin_as, build, action, state):
    statement = build(state)
    reviewer = UserFactory(username="legal2", role=LEGAL, is_staff=True)
    client = admin_as(reviewer if action in (Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT) else "team_lead")
    events_before = AuditEvent.objects.count()

    response = run_action(client, action, statement)

    assert response.status_code == 302
    assert any("Not possible" in m for m in messages_of(response)), messages_of(response)
    statement.refresh_from_db()
    assert statement.status == state
    assert AuditEvent.objects.count() == events_before


def test_each_item_reports_its_own_outcome(admin_as, build, incident, communicator):
    draft = build(S.DRAFT, title="Ready to go")
    already = build(S.IN_REVIEW, title="Already in review")
    response = admin_as("comms2").post(
        reverse(CHANGELIST), {"action": "submit_items", "_selected_action": [draft.pk, already.pk]}
    )
    texts = messages_of(response)
    assert any(t.startswith("Ready to go: submitted") for t in texts), texts
    assert any(t.startswith("Already in review: Not possible") for t in texts), texts
    draft.refresh_from_db()
    assert draft.status == S.IN_REVIEW


def test_approve_confirmation_page_shows_the_text_and_binds_the_revision(admin_as, build):
    statement = build(S.IN_REVIEW, body="We are sorry.")
    response = admin_as("legal").post(
        reverse(CHANGELIST), {"action": "approve_items", "_selected_action": [statement.pk]}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "We are sorry." in page
    assert f'name="revision_{statement.pk}" value="{statement.current_revision.pk}"' in page
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW  # nothing happens before confirmation


def test_admin_approve_of_a_stale_revision_is_refused(admin_as, build, communicator):
    statement = build(S.IN_REVIEW)
    shown = statement.current_revision
    statement_update(actor=communicator, statement=statement, body="Changed while legal was reading.")
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()

    response = run_action(admin_as("legal"), "approve", statement, revision=shown)

    assert any("changed" in m for m in messages_of(response)), messages_of(response)
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW
    assert not ReviewDecision.objects.filter(decision="approve").exists()


def test_admin_approve_by_the_author_is_refused(admin_as, incident):
    author = UserFactory(username="comms-and-legal", role=LEGAL, is_staff=True)
    author.groups.add(UserFactory(username="c", role=COMMUNICATOR).groups.get())
    statement = make_statement(author=author, incident=incident)
    review.review_submit(actor=author, item=statement)
    statement.refresh_from_db()

    response = run_action(admin_as(author), "approve", statement)

    assert any("someone else must approve" in m for m in messages_of(response)), messages_of(response)
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW
    assert not ReviewDecision.objects.exists()


def test_superuser_is_not_legal_in_the_admin(client_for, admin_user, build):
    statement = build(S.IN_REVIEW)
    response = run_action(client_for(admin_user), "approve", statement)
    assert any("may not approve" in m for m in messages_of(response)), messages_of(response)
    statement.refresh_from_db()
    assert statement.status == S.IN_REVIEW


def test_withdraw_without_a_reason_is_refused(admin_as, build):
    statement = build(S.PUBLISHED)
    response = run_action(admin_as("team_lead"), "withdraw", statement, comment="")
    assert any("reason" in m for m in messages_of(response)), messages_of(response)
    statement.refresh_from_db()
    assert statement.status == S.PUBLISHED


# --- the change form -----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [S.APPROVED, S.DRAFT, S.IN_REVIEW])
def test_change_form_post_with_a_status_never_publishes(admin_as, build, state):
    statement = build(state)
    url = change_url(statement)
    client = admin_as("team_lead")
    data = change_form_data(client, url)
    data.update(
        {
            "status": "published",
            "published_revision": str(statement.current_revision.pk),
            "published_at_0": "2026-01-01",
            "published_at_1": "10:00:00",
            "published_by": str(statement.created_by.pk),
            "current_revision": "",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    statement.refresh_from_db()
    assert statement.status == state
    assert statement.published_revision is None
    assert statement.published_at is None
    assert not statement.audit_events().filter(action=Action.PUBLISH).exists()
    assert statement.revisions().count() == 1  # nothing reviewable changed: no edit either


def test_change_form_edit_with_a_status_edits_through_the_service_and_never_publishes(admin_as, build):
    statement = build(S.APPROVED)
    url = change_url(statement)
    client = admin_as("team_lead")
    data = change_form_data(client, url)
    data.update({"body": "Corrected wording.", "status": "published"})

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    statement.refresh_from_db()
    assert statement.body == "Corrected wording."
    assert statement.status == S.DRAFT  # the edit voided the approval
    assert statement.published_revision is None
    assert statement.current_revision.number == 2
    edit = statement.audit_events().get(action=Action.EDIT)
    assert edit.data["voided_approval"] is True
    assert edit.ip_address == "127.0.0.1"
    assert review.missing_requirements(statement)


def test_change_form_refused_by_the_service_changes_nothing(admin_as, build):
    statement = build(S.PUBLISHED)
    url = change_url(statement)
    client = admin_as("team_lead")
    data = change_form_data(client, url)
    data.update({"title": "Edited after publishing"})

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    statement.refresh_from_db()
    assert statement.title != "Edited after publishing"
    assert statement.status == S.PUBLISHED


def test_change_form_cites_facts_through_the_service(admin_as, build, incident):
    statement = build(S.DRAFT)
    fact = FactFactory(incident=incident)
    FactFactory()  # another incident's fact is not offered
    url = change_url(statement)
    client = admin_as("comms2")
    data = change_form_data(client, url)
    data["facts"] = [str(fact.pk)]

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    statement.refresh_from_db()
    assert list(statement.facts.all()) == [fact]
    assert statement.current_revision.content["facts"] == [fact.pk]


def test_observer_and_legal_see_the_change_form_read_only(admin_as, build):
    statement = build(S.DRAFT)
    for persona in ("observer", "legal"):
        client = admin_as(persona)
        assert client.get(change_url(statement)).status_code == 200
        response = client.post(change_url(statement), {"title": "Hijacked", "body": "x", "channels": ["x"]})
        assert response.status_code == 403
    statement.refresh_from_db()
    assert statement.title != "Hijacked"


def test_add_form_drafts_through_the_service(admin_as, incident, communicator):
    response = admin_as("communicator").post(
        reverse("admin:incidents_statement_add"),
        {
            "incident": str(incident.pk),
            "title": "We are investigating",
            "channels": ["x", "website"],
            "language": "en",
            "audience": "Customers",
            "body": "We know and we are on it.",
            "body_format": "plain",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    statement = Statement.objects.get()
    assert statement.status == S.DRAFT
    assert statement.channels == ["x", "website"]
    assert statement.created_by == communicator
    assert statement.current_revision.number == 1
    assert statement.audit_events().get().action == Action.CREATE


def test_add_form_shows_service_errors(admin_as, incident):
    response = admin_as("observer").get(reverse("admin:incidents_statement_add"))
    assert response.status_code == 403
    response = admin_as("communicator").post(
        reverse("admin:incidents_statement_add"),
        {"incident": str(incident.pk), "title": "", "channels": ["x"], "language": "en", "body_format": "plain"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Statement.objects.exists()


def test_statements_are_never_deleted_in_the_admin(client_for, admin_user, build):
    statement = build(S.DRAFT)
    client = client_for(admin_user)
    assert (
        client.post(reverse("admin:incidents_statement_delete", args=[statement.pk]), {"post": "yes"}).status_code
        == 403
    )
    response = client.post(
        reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [statement.pk], "post": "yes"}
    )
    assert Statement.objects.filter(pk=statement.pk).exists()
    assert response.status_code in (200, 302)


# --- the engine's tables ---------------------------------------------------------------------------------


def test_superuser_opens_every_review_admin_page(client_for, admin_user, build, communicator):
    statement = build(S.PUBLISHED)
    statement_record_url(actor=communicator, statement=statement, channel="x", url="https://x.example/9")
    client = client_for(admin_user)
    objects = [
        statement,
        StatementPublication.objects.get(),
        Revision.objects.first(),
        ReviewRequest.objects.first(),
        ReviewDecision.objects.first(),
        AuditEvent.objects.first(),
    ]
    for obj in objects:
        opts = obj._meta
        assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
        assert client.get(change_url(obj)).status_code == 200
    assert client.get(reverse("admin:incidents_statement_add")).status_code == 200
    # The statement's page links to its trail, filtered on it.
    content_type = ContentType.objects.get_for_model(Statement)
    trail = reverse("admin:review_auditevent_changelist") + f"?content_type__id__exact={content_type.pk}&object_id="
    assert client.get(trail + str(statement.pk)).status_code == 200


@pytest.mark.parametrize("model", [Revision, ReviewRequest, ReviewDecision, AuditEvent, StatementPublication])
def test_engine_records_are_never_added_changed_or_deleted(client_for, admin_user, build, communicator, model):
    statement = build(S.PUBLISHED)
    statement_record_url(actor=communicator, statement=statement, channel="x", url="https://x.example/9")
    obj = model.objects.first()
    opts = model._meta
    client = client_for(admin_user)
    before = model.objects.count()

    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403
    assert client.post(change_url(obj), {"comment": "rewritten"}).status_code == 403
    assert client.post(reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])).status_code == 403
    assert model.objects.count() == before


def test_staff_with_a_role_reads_the_trail_of_what_they_may_see(admin_as, build):
    statement = build(S.APPROVED)
    client = admin_as("observer")
    page = client.get(reverse("admin:review_auditevent_changelist"))
    assert page.status_code == 200
    assert page.context["cl"].result_count == statement.audit_events().count()
    assert admin_as("outsider").get(reverse("admin:review_auditevent_changelist")).status_code == 403


def test_confidential_statements_stay_hidden_in_the_admin(admin_as, people, confidential_incident, team_lead):
    statement = make_statement(author=team_lead, incident=confidential_incident, title="Store closures")
    review.review_submit(actor=team_lead, item=statement)
    for persona in ("communicator", "legal", "observer"):
        client = admin_as(persona)
        listing = client.get(reverse(CHANGELIST))
        assert listing.status_code == 200
        assert listing.context["cl"].result_count == 0
        assert "Store closures" not in listing.content.decode()
        assert client.get(change_url(statement)).status_code == 302  # "does not exist", back to the index
        for model in ("revision", "reviewrequest", "auditevent"):
            assert client.get(reverse(f"admin:review_{model}_changelist")).context["cl"].result_count == 0
        response = run_action(client, "approve", statement)
        statement.refresh_from_db()
        assert statement.status == S.IN_REVIEW, messages_of(response)
    lead_view = admin_as("team_lead").get(reverse(CHANGELIST))
    assert lead_view.context["cl"].result_count == 1


# --- escaping -------------------------------------------------------------------------------------------


def assert_page_has_no_live_payload(html: str) -> None:
    parser = _LiveElements()
    parser.feed(html)
    for tag, attrs in parser.tags:
        attributes = dict(attrs)
        assert tag != "iframe", tag
        # The admin's own scripts and images are static files (its icons are inline <svg>
        # without handlers); an inline script or a foreign image would be the payload.
        if tag == "script":
            assert attributes.get("src"), attrs
        if tag == "img":
            assert (attributes.get("src") or "").startswith("/static/"), attrs
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, value)


@pytest.mark.parametrize("payload", XSS_CORPUS)
@pytest.mark.parametrize("body_format", ["plain", "markdown"])
def test_admin_pages_escape_titles_and_bodies(client_for, admin_user, build, payload, body_format):
    statement = build(S.IN_REVIEW, title=f"T {payload}", body=f"B {payload}", body_format=body_format)
    client = client_for(admin_user)
    pages = [
        client.get(reverse(CHANGELIST)),
        client.get(change_url(statement)),
        client.post(reverse(CHANGELIST), {"action": "approve_items", "_selected_action": [statement.pk]}),
        client.get(reverse("admin:review_revision_changelist")),
        client.get(change_url(statement.revisions().first())),
        client.get(reverse("admin:review_auditevent_changelist")),
    ]
    for page in pages:
        assert page.status_code == 200
        assert_page_has_no_live_payload(page.content.decode())
    # The title is there, as text.
    assert "T &lt;" in pages[0].content.decode() or "T &quot;&gt;" in pages[0].content.decode()
