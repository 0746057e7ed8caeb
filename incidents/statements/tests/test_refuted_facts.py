"""A fact refuted after a statement citing it went out: the statement is flagged, logged and its people told."""

import pytest
from django.core import mail

from crisisdesk.review.models import ReviewStatus
from crisisdesk.review.tests.helpers import statement_in
from crisisdesk.roles import LEGAL
from crisisdesk.testing.factories import FactFactory, IncidentFactory, MembershipFactory, UserFactory, role
from incidents import services as incident_services
from incidents.models import FactStatus, TimelineEntry, TimelineKind

pytestmark = pytest.mark.django_db

S = ReviewStatus


@pytest.fixture
def incident(team_lead):
    incident = IncidentFactory(reference="CD-2026-0001", title="Cracked blender jars", lead=team_lead)
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    return incident


@pytest.fixture
def fact(incident, team_lead):
    fact = FactFactory(incident=incident, claim="Only batch 42 is affected.")
    incident_services.fact_verify(actor=team_lead, fact=fact, status=FactStatus.CONFIRMED)
    return fact


@pytest.fixture
def published(incident, fact, communicator, legal):
    return statement_in(
        S.PUBLISHED,
        author=communicator,
        reviewer=legal,
        publisher=communicator,
        withdrawer=None,
        incident=incident,
        facts=[fact],
        title="Only batch 42",
    )


@pytest.fixture
def refute(django_capture_on_commit_callbacks):
    """Refute and run what was queued for the commit (the e-mails), as a real commit would."""

    def run(fact, actor):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            return incident_services.fact_verify(
                actor=actor, fact=fact, status=FactStatus.REFUTED, note="Batch 43 too."
            )

    return run


def test_refuting_flags_logs_and_tells_author_lead_and_legal(refute, published, fact, legal, team_lead, communicator):
    assert not published.cites_refuted_fact
    refute(fact, legal)

    published.refresh_from_db()
    assert published.cites_refuted_fact
    entry = TimelineEntry.objects.filter(event="statement.cites_refuted_fact").get()
    assert entry.kind == TimelineKind.STATEMENT
    assert entry.params == {"title": "Only batch 42", "claim": "Only batch 42 is affected."}
    assert entry.data["statement"] == published.pk and entry.data["fact"] == fact.pk
    assert entry.text == "Published statement “Only batch 42” cites a fact now refuted: Only batch 42 is affected."
    # Sent on commit: one e-mail per flagged statement.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {communicator.email, team_lead.email, legal.email}
    assert "refuted" in message.subject and "Only batch 42" in message.body
    assert f"/incidents/{published.incident.reference}/statements/{published.pk}/" in message.body


def test_confidential_incident_tells_only_those_who_may_see_it(refute, team_lead, communicator, legal):
    # Legal is not on this confidential incident's team: they may not learn it exists.
    incident = IncidentFactory(reference="CD-2026-0009", confidential=True, lead=team_lead)
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    MembershipFactory(incident=incident, user=communicator, role=role("communications"))
    inside_legal = UserFactory(username="legal2", role=LEGAL)
    MembershipFactory(incident=incident, user=inside_legal, role=role("legal"))
    fact = FactFactory(incident=incident, claim="No data left the building.")
    incident_services.fact_verify(actor=team_lead, fact=fact, status=FactStatus.CONFIRMED)
    statement_in(
        S.PUBLISHED,
        author=communicator,
        reviewer=inside_legal,
        publisher=communicator,
        withdrawer=None,
        incident=incident,
        facts=[fact],
    )
    refute(fact, team_lead)
    assert len(mail.outbox) == 1
    assert legal.email not in mail.outbox[0].to
    assert set(mail.outbox[0].to) == {communicator.email, team_lead.email, inside_legal.email}


def test_unpublished_statements_are_not_flagged(refute, incident, fact, communicator, legal, team_lead):
    draft = statement_in(
        S.APPROVED,
        author=communicator,
        reviewer=legal,
        publisher=None,
        withdrawer=None,
        incident=incident,
        facts=[fact],
    )
    refute(fact, team_lead)
    assert not TimelineEntry.objects.filter(event="statement.cites_refuted_fact").exists()
    assert mail.outbox == []
    assert not draft.cites_refuted_fact


def test_a_rolled_back_refutation_tells_nobody(refute, published, fact, team_lead, monkeypatch):
    from incidents import timeline

    original = timeline.log

    def fail_after_flagging(**kwargs):
        entry = original(**kwargs)
        if kwargs["event"].code == "statement.cites_refuted_fact":
            raise RuntimeError("boom")
        return entry

    monkeypatch.setattr(timeline, "log", fail_after_flagging)
    with pytest.raises(RuntimeError):
        refute(fact, team_lead)
    fact.refresh_from_db()
    assert fact.status == FactStatus.CONFIRMED
    assert mail.outbox == []
    assert not TimelineEntry.objects.filter(event="statement.cites_refuted_fact").exists()


def test_war_room_row_and_statement_page_warn(refute, published, fact, legal, client_for, communicator):
    reference = published.incident.reference
    client = client_for(communicator)
    war_room = client.get(f"/incidents/{reference}/")
    page = client.get(f"/incidents/{reference}/statements/{published.pk}/")
    assert "cd-refuted-fact-warning" not in war_room.content.decode()
    assert "cd-refuted-fact-warning" not in page.content.decode()

    refute(fact, legal)
    war_room = client.get(f"/incidents/{reference}/").content.decode()
    page = client.get(f"/incidents/{reference}/statements/{published.pk}/").content.decode()
    assert "Published, but cites a fact now refuted" in war_room
    assert "This published statement cites a fact now refuted." in page
    assert "Only batch 42 is affected. — Batch 43 too." in page


def test_api_says_which_published_statements_cite_a_refuted_fact(refute, published, fact, legal, client_for):
    client = client_for(legal)
    assert client.get(f"/api/v1/statements/{published.pk}/").json()["cites_refuted_fact"] is False
    refute(fact, legal)
    listed = client.get("/api/v1/statements/").json()
    rows = listed.get("results", listed)
    assert [row["cites_refuted_fact"] for row in rows if row["id"] == published.pk] == [True]
    assert client.get(f"/api/v1/statements/{published.pk}/").json()["cites_refuted_fact"] is True
