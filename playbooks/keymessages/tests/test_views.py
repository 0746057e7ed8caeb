"""Key message pages: access per persona, filters and flags, create/edit through the services, review buttons."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisisdesk.review import services as review
from crisisdesk.review.models import Action, AuditEvent, ReviewStatus
from crisisdesk.review.tests.helpers import approved_key_message, make_key_message, second_communicator
from playbooks.keymessages.models import KeyMessage

pytestmark = pytest.mark.django_db

S = ReviewStatus
PERSONAS = ["communicator", "legal", "team_lead", "observer", "outsider"]
IP = "198.51.100.9"


@pytest.fixture
def author(db):
    return second_communicator()


def form_data(**overrides):
    data = {
        "kind": "holding_statement",
        "topic": "Product recall",
        "title": "We are recalling batch 42",
        "language": "en",
        "body_format": "plain",
        "body": "As a precaution we are recalling batch 42.",
        "valid_until": "",
        "review_due": "",
    }
    data.update(overrides)
    return data


PAGE_MATRIX = {
    "list": {"communicator": 200, "legal": 200, "team_lead": 200, "observer": 200, "outsider": 403},
    "create": {"communicator": 200, "legal": 403, "team_lead": 200, "observer": 403, "outsider": 403},
    "detail": {"communicator": 200, "legal": 200, "team_lead": 200, "observer": 200, "outsider": 404},
    "edit": {"communicator": 200, "legal": 403, "team_lead": 200, "observer": 403, "outsider": 404},
    "audit": {"communicator": 200, "legal": 200, "team_lead": 200, "observer": 200, "outsider": 404},
}


def page_url(page, key_message):
    return {
        "list": reverse("keymessages:list"),
        "create": reverse("keymessages:create"),
        "detail": reverse("keymessages:detail", kwargs={"pk": key_message.pk}),
        "edit": reverse("keymessages:edit", kwargs={"pk": key_message.pk}),
        "audit": reverse("review:audit", kwargs={"kind": "keymessage", "pk": key_message.pk}),
    }[page]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", PAGE_MATRIX)
def test_page_access_matrix(personas, client_for, author, page, persona):
    key_message = make_key_message(author=author)
    assert client_for(personas[persona]).get(page_url(page, key_message)).status_code == PAGE_MATRIX[page][persona]


@pytest.mark.parametrize("page", PAGE_MATRIX)
def test_anonymous_is_sent_to_login(client, author, page):
    response = client.get(page_url(page, make_key_message(author=author)))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_access_matrix(personas, client_for, persona):
    response = client_for(personas[persona]).post(reverse("keymessages:create"), form_data(), REMOTE_ADDR=IP)
    created = KeyMessage.objects.first()
    if PAGE_MATRIX["create"][persona] == 200:
        assert response.status_code == 302
        assert response["Location"] == reverse("keymessages:detail", kwargs={"pk": created.pk})
        assert (created.status, created.created_by) == (S.DRAFT, personas[persona])
        assert AuditEvent.objects.get(action=Action.CREATE).ip_address == IP
    else:
        assert response.status_code == 403
        assert created is None


def test_create_form_errors(client_for, communicator):
    response = client_for(communicator).post(reverse("keymessages:create"), form_data(title="", kind="poem"))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "kind"}
    assert not KeyMessage.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_edit_access_matrix(personas, client_for, author, persona):
    key_message = make_key_message(author=author)
    response = client_for(personas[persona]).post(
        reverse("keymessages:edit", kwargs={"pk": key_message.pk}), form_data(body="Changed.")
    )
    key_message.refresh_from_db()
    if PAGE_MATRIX["edit"][persona] == 200:
        assert response.status_code == 302
        assert (key_message.body, key_message.current_revision.number) == ("Changed.", 2)
    else:
        assert response.status_code == PAGE_MATRIX["edit"][persona]
        assert key_message.current_revision.number == 1


def test_edit_of_an_approved_key_message_voids_the_approval(client_for, author, legal):
    key_message = approved_key_message(author=author, reviewer=legal)
    client = client_for(author)
    url = reverse("keymessages:edit", kwargs={"pk": key_message.pk})
    assert "voids the approval" in client.get(url).content.decode()
    client.post(url, form_data(topic=key_message.topic, title=key_message.title, body="New text", comment="update"))
    key_message.refresh_from_db()
    assert key_message.status == S.DRAFT
    assert AuditEvent.objects.filter(action=Action.EDIT, comment="update").exists()


def test_withdrawn_key_message_is_not_edited(client_for, author, legal, team_lead):
    key_message = approved_key_message(author=author, reviewer=legal)
    review.review_withdraw(actor=team_lead, item=key_message, reason="Outdated.")
    response = client_for(author).get(reverse("keymessages:edit", kwargs={"pk": key_message.pk}))
    assert response.status_code == 302


TRANSITIONS = {
    # action: (start state, data, end state, personas who succeed)
    "submit": (S.DRAFT, {}, S.IN_REVIEW, {"communicator", "team_lead"}),
    "approve": (S.IN_REVIEW, {"revision": "current"}, S.APPROVED, {"legal"}),
    "request_changes": (S.IN_REVIEW, {"comment": "Shorter."}, S.DRAFT, {"legal"}),
    "reject": (S.IN_REVIEW, {"comment": "No."}, S.REJECTED, {"legal"}),
    "withdraw": (S.APPROVED, {"comment": "Retired."}, S.WITHDRAWN, {"legal", "team_lead"}),
    "publish": (S.APPROVED, {"revision": "current"}, S.APPROVED, set()),
}


def key_message_in(status, *, author, legal):
    key_message = make_key_message(author=author)
    if status != S.DRAFT:
        review.review_submit(actor=author, item=key_message)
    key_message.refresh_from_db()
    if status == S.APPROVED:
        review.review_approve(actor=legal, item=key_message, revision=key_message.current_revision)
        key_message.refresh_from_db()
    return key_message


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", TRANSITIONS)
def test_transition_access_matrix(personas, client_for, author, legal, action, persona):
    start, data, end, allowed = TRANSITIONS[action]
    key_message = key_message_in(start, author=author, legal=legal)
    data = {k: (key_message.current_revision_id if v == "current" else v) for k, v in data.items()}
    response = client_for(personas[persona]).post(
        reverse("keymessages:transition", kwargs={"pk": key_message.pk}), {"action": action, "confirmed": "1", **data}
    )
    key_message.refresh_from_db()
    if persona in allowed:
        assert response.status_code == 302
        assert key_message.status == end
    else:
        assert response.status_code == (404 if persona == "outsider" else 403)
        assert key_message.status == start


def test_list_filters_and_flags(client_for, observer, author, legal):
    today = timezone.localdate()
    approved_key_message(
        author=author, reviewer=legal, topic="Recall", title="Fresh", review_due=today + timedelta(days=30)
    )
    approved_key_message(
        author=author, reviewer=legal, topic="Recall", title="Old", valid_until=today - timedelta(days=1),
        review_due=today - timedelta(days=3),
    )  # fmt: skip
    make_key_message(author=author, topic="Outage", title="French one", language="fr", kind="qa")
    client = client_for(observer)
    page = client.get(reverse("keymessages:list")).content.decode()
    assert page.count("cd-flag-expired") == 1
    assert page.count("cd-flag-review-due") == 1

    def titles(**params):
        return [km.title for km in client.get(reverse("keymessages:list"), params).context["key_messages"]]

    assert titles(language="fr") == ["French one"]
    assert titles(kind="qa") == ["French one"]
    assert titles(q="recall") == ["Fresh", "Old"]
    assert titles(status="draft") == ["French one"]
    assert titles(kind="nonsense") == []


def test_detail_shows_buttons_the_user_may_use(client_for, communicator, legal, observer, author):
    key_message = key_message_in(S.IN_REVIEW, author=author, legal=legal)
    url = reverse("keymessages:detail", kwargs={"pk": key_message.pk})
    assert client_for(legal).get(url).context["reviewer_actions"] == ["approve", "request_changes", "reject"]
    assert 'name="action"' not in client_for(observer).get(url).content.decode()
    assert client_for(communicator).get(url).context["actions"] == [Action.EDIT]


def test_list_query_count_is_flat(client_for, observer, author, legal):
    client = client_for(observer)
    make_key_message(author=author)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("keymessages:list")).status_code == 200
        return len(ctx.captured_queries)

    with_one = count()
    for n in range(49):
        make_key_message(author=second_communicator() if n % 2 else author, title=f"km {n}")
    assert count() == with_one


def test_list_filters_with_the_shared_filterset(client_for, observer, author, legal):
    """The browser list takes the API's query parameters: one KeyMessageFilterSet serves both."""
    approved_key_message(author=author, reviewer=legal, topic="Recall", title="Usable")
    make_key_message(author=author, topic="Recall", title="Draft", body="Mentions the warehouse.")
    client = client_for(observer)

    def titles(**params):
        return [km.title for km in client.get(reverse("keymessages:list"), params).context["key_messages"]]

    assert titles(usable="true") == ["Usable"]
    assert titles(usable="false") == ["Draft"]
    assert titles(q="warehouse") == ["Draft"]
    assert titles(status=["draft", "approved"]) == ["Draft", "Usable"]
    assert titles(status="published") == []  # key messages are never published: not a choice
    form = client.get(reverse("keymessages:list")).context["filter_form"]
    assert set(form.fields) == {"q", "status", "kind", "language", "usable"}
    assert dict(form.fields["status"].choices)["withdrawn"] == "Retired"


def test_withdrawing_a_key_message_reads_retire(client_for, legal, team_lead, author):
    key_message = approved_key_message(author=author, reviewer=legal)
    url = reverse("keymessages:detail", kwargs={"pk": key_message.pk})
    page = client_for(team_lead).get(url).content.decode()
    assert 'value="withdraw"' in page
    assert ">Retire</button>" in page
    assert ">Withdraw</button>" not in page
    response = client_for(team_lead).post(
        reverse("keymessages:transition", kwargs={"pk": key_message.pk}),
        {
            "action": "withdraw",
            "comment": "Out of date.",
            "revision": key_message.current_revision_id,
            "confirmed": "1",
        },
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Retired."]
    page = client_for(team_lead).get(url).content.decode()
    assert 'cd-rstatus-withdrawn">Retired</span>' in page
    trail = client_for(team_lead).get(reverse("review:audit", kwargs={"kind": "keymessage", "pk": key_message.pk}))
    assert "Approved → Retired" in trail.content.decode()
    listing = client_for(team_lead).get(reverse("keymessages:list")).content.decode()
    assert 'cd-rstatus-withdrawn">Retired</span>' in listing
