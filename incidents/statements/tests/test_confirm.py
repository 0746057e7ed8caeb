"""Publishing and withdrawing a statement are confirmed, also without JavaScript (issue 17): a POST without
``confirmed=1`` answers a confirmation page and changes nothing; the page's button (or the dialog) confirms."""

import pytest
from django.urls import reverse

from crisisdesk.review.models import AuditEvent, ReviewStatus
from crisisdesk.review.tests.helpers import second_communicator, statement_in
from incidents.statements.models import Statement

pytestmark = pytest.mark.django_db
S = ReviewStatus


@pytest.fixture
def author(db):
    return second_communicator()


@pytest.fixture
def build(incident, author, legal, team_lead):
    def _build(status, **kwargs):
        kwargs.setdefault("incident", incident)
        return statement_in(status, author=author, reviewer=legal, publisher=author, withdrawer=team_lead, **kwargs)

    return _build


def transition_url(statement):
    return reverse(
        "incidents:statement_transition", kwargs={"reference": statement.incident.reference, "pk": statement.pk}
    )


def detail_url(statement):
    return reverse("incidents:statement_detail", kwargs={"reference": statement.incident.reference, "pk": statement.pk})


def status_of(statement):
    return Statement.objects.get(pk=statement.pk).status


def test_publish_without_confirmation_asks_and_publishes_nothing(client_for, communicator, build):
    statement = build(S.APPROVED)
    response = client_for(communicator).post(
        transition_url(statement), {"action": "publish", "revision": statement.current_revision_id}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Publish “About the cracked blender jars” to X, Website and the newsroom?" in body
    assert '<input type="hidden" name="action" value="publish">' in body
    assert f'<input type="hidden" name="revision" value="{statement.current_revision_id}">' in body
    assert '<input type="hidden" name="confirmed" value="1">' in body
    assert f'action="{transition_url(statement)}"' in body
    assert f'href="{detail_url(statement)}">Cancel</a>' in body
    assert status_of(statement) == S.APPROVED
    assert not AuditEvent.objects.filter(object_id=statement.pk, action="publish").exists()


def test_publish_with_confirmation_publishes(client_for, communicator, build):
    statement = build(S.APPROVED)
    response = client_for(communicator).post(
        transition_url(statement), {"action": "publish", "revision": statement.current_revision_id, "confirmed": "1"}
    )
    assert response.status_code == 302
    assert status_of(statement) == S.PUBLISHED


def test_an_internal_memo_is_not_announced_for_the_newsroom(client_for, communicator, build):
    statement = build(S.APPROVED, channels=["internal_memo"])
    body = (
        client_for(communicator)
        .post(transition_url(statement), {"action": "publish", "revision": statement.current_revision_id})
        .content.decode()
    )
    assert "Publish “About the cracked blender jars” to Internal memo?" in body
    assert status_of(statement) == S.APPROVED


def test_the_button_asks_the_same_question(client_for, communicator, build):
    statement = build(S.APPROVED)
    body = client_for(communicator).get(detail_url(statement)).content.decode()
    assert 'data-confirm="Publish “About the cracked blender jars” to X, Website and the newsroom?"' in body


def test_withdraw_without_confirmation_carries_the_reason(client_for, team_lead, build):
    statement = build(S.PUBLISHED)
    response = client_for(team_lead).post(transition_url(statement), {"action": "withdraw", "comment": "Superseded."})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Withdraw “About the cracked blender jars”? This cannot be undone." in body
    assert '<input type="hidden" name="comment" value="Superseded.">' in body
    assert 'class="btn btn-danger">Withdraw</button>' in body
    assert status_of(statement) == S.PUBLISHED
    response = client_for(team_lead).post(
        transition_url(statement), {"action": "withdraw", "comment": "Superseded.", "confirmed": "1"}
    )
    assert response.status_code == 302
    assert status_of(statement) == S.WITHDRAWN


def test_withdraw_without_a_reason_is_refused_without_asking(client_for, team_lead, build):
    statement = build(S.PUBLISHED)
    response = client_for(team_lead).post(transition_url(statement), {"action": "withdraw", "comment": ""})
    assert response.status_code == 302
    assert status_of(statement) == S.PUBLISHED


def test_publish_that_would_be_refused_is_not_asked_about(client_for, communicator, build):
    statement = build(S.IN_REVIEW)
    response = client_for(communicator).post(
        transition_url(statement), {"action": "publish", "revision": statement.current_revision_id}
    )
    assert response.status_code == 302
    assert status_of(statement) == S.IN_REVIEW


@pytest.mark.parametrize("persona, code", [("legal", 403), ("observer", 403), ("outsider", 404)])
def test_no_confirmation_page_for_who_may_not_publish(personas, client_for, build, persona, code):
    statement = build(S.APPROVED)
    response = client_for(personas[persona]).post(
        transition_url(statement), {"action": "publish", "revision": statement.current_revision_id}
    )
    assert response.status_code == code
    assert status_of(statement) == S.APPROVED


def test_the_api_publishes_without_asking(api, build):
    statement = build(S.APPROVED)
    response = api("communicator").post(
        reverse("api:statement-publish", kwargs={"pk": statement.pk}),
        {"revision": statement.current_revision.number},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert status_of(statement) == S.PUBLISHED
