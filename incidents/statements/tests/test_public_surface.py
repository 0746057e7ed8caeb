"""Issue 12: nothing unreviewed reaches the public newsroom, its feed or its entry pages.

Driven through the API as staff would: a title changed after publication, an internal memo,
a withdrawal reason, and the reviewed ``public_context`` line.
"""

from xml.etree import ElementTree

import pytest
from django.urls import reverse

from crisisdesk.review import services as review
from crisisdesk.review.models import ReviewStatus
from crisisdesk.review.tests.helpers import approved_key_message, statement_in
from incidents.models import INTERNAL_CHANNELS, PUBLIC_CHANNELS, Channel
from incidents.statements.models import Statement
from incidents.statements.services import StatementPolicy

pytestmark = pytest.mark.django_db

S = ReviewStatus
ATOM = {"atom": "http://www.w3.org/2005/Atom"}


def feed_text(client) -> str:
    response = client.get(reverse("newsroom:feed"))
    assert response.status_code == 200
    return response.content.decode()


def feed_entries(client):
    return ElementTree.fromstring(client.get(reverse("newsroom:feed")).content).findall("atom:entry", ATOM)


def public_pages(client, statement) -> str:
    """The list, the entry page and the feed, concatenated: everything an anonymous reader can get."""
    listing = client.get(reverse("newsroom:list"))
    entry = client.get(reverse("newsroom:detail", kwargs={"pk": statement.pk}))
    assert listing.status_code == 200
    assert entry.status_code == 200
    return listing.content.decode() + entry.content.decode() + feed_text(client)


def publish_through_api(api, incident, **fields) -> Statement:
    """Draft, submit, approve and publish a statement with the API, as the personas would."""
    payload = {"incident": incident.reference, "title": "Blender jars", "body": "We are investigating.", **fields}
    payload.setdefault("channels", ["x", "website"])
    created = api("communicator").post(reverse("api:statement-list"), payload, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert (
        api("communicator").post(reverse("api:statement-submit", kwargs={"pk": pk}), {}, format="json").status_code
        == 200
    )
    number = Statement.objects.get(pk=pk).current_revision.number
    approve = api("legal").post(
        reverse("api:statement-approve", kwargs={"pk": pk}), {"revision": number}, format="json"
    )
    assert approve.status_code == 200, approve.content
    publish = api("communicator").post(reverse("api:statement-publish", kwargs={"pk": pk}), {}, format="json")
    assert publish.status_code == 200, publish.content
    return Statement.objects.get(pk=pk)


# --- the incident's live title ---------------------------------------------------------------


def test_incident_title_changed_after_publication_never_reaches_the_newsroom(api, client, incident):
    statement = publish_through_api(api, incident)
    renamed = api("communicator").patch(
        reverse("api:incident-detail", kwargs={"reference": incident.reference}),
        {"title": "INTERNAL: our supplier lied"},
        format="json",
    )
    assert renamed.status_code == 200, renamed.content
    pages = public_pages(client, statement)
    assert "our supplier lied" not in pages
    assert "Viral video of a cracked blender jar" not in pages
    assert "About:" not in pages  # no reviewed context line: none at all
    assert "Blender jars" in pages


def test_public_context_is_shown_from_the_published_revision_only(api, client, incident, communicator):
    statement = publish_through_api(api, incident, public_context="Cracked blender jars, March 2026")
    pages = public_pages(client, statement)
    assert "About: Cracked blender jars, March 2026" in pages
    # Withdrawn and redrafted elsewhere: the row changes, the published revision does not.
    Statement.objects.filter(pk=statement.pk).update(public_context="Unreviewed words")
    pages = public_pages(client, statement)
    assert "Unreviewed words" not in pages
    assert "About: Cracked blender jars, March 2026" in pages


def test_public_context_is_part_of_the_reviewed_revision(api, incident, legal):
    created = api("communicator").post(
        reverse("api:statement-list"),
        {"incident": incident.reference, "title": "T", "body": "B", "channels": ["x"], "public_context": "About it"},
        format="json",
    )
    assert created.status_code == 201, created.content
    statement = Statement.objects.get(pk=created.json()["id"])
    assert statement.current_revision.content["public_context"] == "About it"
    first_hash = statement.current_revision.content_hash
    review.review_submit(actor=statement.created_by, item=statement)
    statement.refresh_from_db()
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
    edited = api("communicator").patch(
        reverse("api:statement-detail", kwargs={"pk": statement.pk}),
        {"public_context": "About something else"},
        format="json",
    )
    assert edited.status_code == 200, edited.content
    statement.refresh_from_db()
    # A new revision with a new hash, back to draft: Legal's approval does not cover the new line.
    assert statement.status == S.DRAFT
    assert statement.current_revision.content_hash != first_hash
    assert statement.current_revision.content["public_context"] == "About something else"
    assert edited.json()["public_context"] == "About something else"


def test_blank_public_context_leaves_the_snapshot_as_before(incident, communicator):
    statement = Statement(incident=incident, title="T", body="B", channels=["x"], public_context="")
    assert "public_context" not in StatementPolicy().content(statement)
    statement.public_context = "About it"
    assert StatementPolicy().content(statement)["public_context"] == "About it"


def test_review_page_shows_the_public_context_in_the_diff(client_for, legal, communicator, incident):
    statement = statement_in(
        S.IN_REVIEW,
        author=communicator,
        reviewer=legal,
        publisher=communicator,
        withdrawer=None,
        incident=incident,
        public_context="Reviewed about line",
    )
    page = client_for(legal).get(reverse("review:review", kwargs={"kind": "statement", "pk": statement.pk}))
    assert page.status_code == 200
    assert "Reviewed about line" in page.content.decode()
    assert "Public context" in page.content.decode()


def test_a_public_context_voids_a_key_message_pre_approval(communicator, legal, incident):
    key_message = approved_key_message(author=communicator, reviewer=legal)
    verbatim = statement_in(
        S.DRAFT,
        author=communicator,
        reviewer=legal,
        publisher=communicator,
        withdrawer=None,
        incident=incident,
        from_key_message=key_message,
        title=None,
        body=None,
    )
    assert verbatim.status == S.APPROVED  # the key message's approval carries over
    with_context = statement_in(
        S.DRAFT,
        author=communicator,
        reviewer=legal,
        publisher=communicator,
        withdrawer=None,
        incident=incident,
        from_key_message=key_message,
        title=None,
        body=None,
        public_context="Words Legal never saw",
    )
    assert with_context.status == S.DRAFT


# --- internal channels -----------------------------------------------------------------------


def test_channels_know_which_are_internal():
    assert Channel.INTERNAL_MEMO in INTERNAL_CHANNELS
    assert set(PUBLIC_CHANNELS) | set(INTERNAL_CHANNELS) == set(Channel.values)
    assert not set(PUBLIC_CHANNELS) & set(INTERNAL_CHANNELS)


def test_internal_only_statement_is_absent_from_page_feed_and_entry(api, client, incident):
    statement = publish_through_api(api, incident, title="Staff memo", channels=["internal_memo"])
    assert statement.status == S.PUBLISHED
    assert "Staff memo" not in client.get(reverse("newsroom:list")).content.decode()
    assert client.get(reverse("newsroom:detail", kwargs={"pk": statement.pk})).status_code == 404
    assert feed_entries(client) == []
    assert not Statement.objects.public().filter(pk=statement.pk).exists()


def test_internal_only_statement_stays_out_once_withdrawn(api, client, incident, team_lead):
    statement = publish_through_api(api, incident, title="Staff memo", channels=["internal_memo"])
    review.review_withdraw(actor=team_lead, item=statement, reason="Sent too early.")
    assert client.get(reverse("newsroom:detail", kwargs={"pk": statement.pk})).status_code == 404
    assert feed_entries(client) == []


def test_public_and_internal_channels_statement_is_shown(api, client, incident):
    statement = publish_through_api(api, incident, title="For everyone", channels=["internal_memo", "website"])
    assert "For everyone" in public_pages(client, statement)
    assert len(feed_entries(client)) == 1


def test_channels_are_read_from_the_published_revision(api, client, incident):
    statement = publish_through_api(api, incident, title="Memo", channels=["internal_memo"])
    # Whatever the live row says, Legal approved an internal memo.
    Statement.objects.filter(pk=statement.pk).update(channels=["website"])
    assert client.get(reverse("newsroom:detail", kwargs={"pk": statement.pk})).status_code == 404


# --- withdrawals -----------------------------------------------------------------------------


def test_withdrawal_reason_stays_internal(api, client, incident, team_lead):
    statement = publish_through_api(api, incident, title="Recalled")
    response = api("team_lead").post(
        reverse("api:statement-withdraw", kwargs={"pk": statement.pk}),
        {"reason": "Supplier admitted the defect in private"},
        format="json",
    )
    assert response.status_code == 200, response.content
    pages = public_pages(client, statement)
    assert "Supplier admitted" not in pages
    assert "This statement was withdrawn on" in pages
    assert "We are investigating." not in pages
    # People who may see the incident still read the reason.
    detail = api("team_lead").get(reverse("api:statement-detail", kwargs={"pk": statement.pk}))
    assert "Supplier admitted the defect in private" in detail.content.decode()


# --- the admin -------------------------------------------------------------------------------


@pytest.fixture
def people(staff_people):
    return staff_people


def test_admin_edits_the_public_context_as_a_new_revision(admin_as, communicator, legal, incident, staff_people):
    from incidents.tests.test_admin import change_form_data, change_url

    statement = statement_in(
        S.APPROVED, author=communicator, reviewer=legal, publisher=communicator, withdrawer=None, incident=incident
    )
    client = admin_as("comms2")
    url = change_url(statement)
    data = change_form_data(client, url)
    assert "public_context" in data
    data["public_context"] = "Set in the admin"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    statement.refresh_from_db()
    assert statement.public_context == "Set in the admin"
    assert statement.current_revision.content["public_context"] == "Set in the admin"
    assert statement.status == S.DRAFT  # back to review: Legal approved the words without it


def test_the_outsider_cannot_set_a_public_context(api, incident, communicator):
    statement = statement_in(
        S.DRAFT, author=communicator, reviewer=None, publisher=None, withdrawer=None, incident=incident
    )
    response = api("outsider").patch(
        reverse("api:statement-detail", kwargs={"pk": statement.pk}), {"public_context": "Mine"}, format="json"
    )
    assert response.status_code in (403, 404)
    statement.refresh_from_db()
    assert statement.public_context == ""
