"""Retiring a key message is confirmed, also without JavaScript (issue 17): the question names it and says why."""

import pytest
from django.urls import reverse

from crisisdesk.review.models import ReviewStatus
from crisisdesk.review.tests.helpers import approved_key_message, second_communicator
from playbooks.keymessages.models import KeyMessage

pytestmark = pytest.mark.django_db


def test_retire_asks_first_then_retires(client_for, legal, team_lead):
    key_message = approved_key_message(author=second_communicator(), reviewer=legal)
    question = f"Retire “{key_message}”? Statements can no longer start from it. This cannot be undone."
    detail = client_for(team_lead).get(reverse("keymessages:detail", kwargs={"pk": key_message.pk})).content.decode()
    assert f'data-confirm="{question}"' in detail

    url = reverse("keymessages:transition", kwargs={"pk": key_message.pk})
    data = {"action": "withdraw", "comment": "Out of date."}
    response = client_for(team_lead).post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert question in body
    assert 'class="btn btn-danger">Retire</button>' in body
    assert KeyMessage.objects.get(pk=key_message.pk).status == ReviewStatus.APPROVED

    assert client_for(team_lead).post(url, {**data, "confirmed": "1"}).status_code == 302
    assert KeyMessage.objects.get(pk=key_message.pk).status == ReviewStatus.WITHDRAWN
