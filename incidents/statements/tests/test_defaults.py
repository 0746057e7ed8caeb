"""The statement create page's right defaults (issue 12): ranked key messages, ``?holding=1`` pre-fill, and
reuse texts that say which approval is still required (severity 1) instead of "pre-approved"."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisisdesk.review import services as review
from crisisdesk.review.models import Action, ReviewStatus
from crisisdesk.review.tests.helpers import approved_key_message, second_communicator
from crisisdesk.roles import COMMUNICATOR
from crisisdesk.testing.factories import IncidentFactory, UserFactory
from incidents import timeline
from incidents.statements.models import Statement
from playbooks.tests.playbook_helpers import active_playbook, second_team_lead

pytestmark = pytest.mark.django_db

SEVERITY_1_TEXT = (
    "Reused verbatim from an approved key message: Legal's review is not needed; "
    "the incident lead's approval is still required at severity 1."
)
SEVERITY_3_TEXT = (
    "Reused verbatim from an approved key message: Legal's review is not needed; "
    "nothing else is required, it can be published."
)


@pytest.fixture
def holding(legal, team_lead):
    """An approved product-defect holding statement, filed under an active product-defect playbook."""
    key_message = approved_key_message(author=second_communicator(), reviewer=legal, title="Defect holding")
    active_playbook(
        author=second_team_lead(), approver=team_lead, scenario="product_defect", key_messages=[key_message]
    )
    return key_message


def page_of(response) -> str:
    return html.unescape(response.content.decode())


def create_url(incident, **query):
    url = reverse("incidents:statement_create", kwargs={"reference": incident.reference})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def defect_incident(**kwargs):
    kwargs.setdefault("category", "product_defect")
    kwargs.setdefault("affected_channels", ["x", "website", "carrier_pigeon"])
    return IncidentFactory(**kwargs)


def submit_as_is(client, url, form) -> Statement:
    """Post the pre-filled form untouched, as a browser would (CRLF in the textarea)."""
    data = {name: value for name, value in form.initial.items() if value is not None}
    data["body"] = data["body"].replace("\n", "\r\n")
    data.setdefault("audience", "")
    response = client.post(url, data)
    assert response.status_code == 302, getattr(response, "context", {}) and response.context["form"].errors
    return Statement.objects.get()


def test_holding_prefills_from_the_best_ranked_key_message_with_channels_and_reason(client_for, communicator, holding):
    incident = defect_incident()
    response = client_for(communicator).get(create_url(incident, holding=1))
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert initial["title"] == "Defect holding" and initial["body"] == holding.body
    assert initial["from_key_message"] == holding.pk and initial["language"] == "en"
    # The incident's affected channels, unknown codes skipped.
    assert initial["channels"] == ["x", "website"]
    page = page_of(response)
    assert "Same category (product defect), same language (English), holding statement" in page
    assert SEVERITY_3_TEXT in page
    assert "needs no new review" not in page


def test_holding_without_a_fitting_key_message_is_an_empty_draft_saying_so(client_for, communicator, legal, team_lead):
    # Only another category's line to take: an internal instruction, never pre-filled.
    line = approved_key_message(author=second_communicator(), reviewer=legal, kind="line_to_take", title="Leak line")
    active_playbook(author=second_team_lead(), approver=team_lead, scenario="data_breach", key_messages=[line])
    incident = defect_incident()
    response = client_for(communicator).get(create_url(incident, holding=1))
    initial = response.context["form"].initial
    assert "title" not in initial and "from_key_message" not in initial
    assert initial["channels"] == ["x", "website"]
    assert "No approved, unexpired holding statement matched" in page_of(response)


def test_without_holding_nothing_is_prefilled_and_the_ranked_picker_is_offered(client_for, communicator, holding):
    incident = defect_incident()
    response = client_for(communicator).get(create_url(incident))
    assert "title" not in response.context["form"].initial
    page = page_of(response)
    assert reverse("incidents:statement_pick_key_message", kwargs={"reference": incident.reference}) in page
    picker = client_for(communicator).get(
        reverse("incidents:statement_pick_key_message", kwargs={"reference": incident.reference})
    )
    assert picker.context["suggestions"][0].key_message == holding
    assert "Same category (product defect)" in page_of(picker)


def test_prefilled_page_saves_as_is_and_is_publishable_at_severity_3(client_for, communicator, holding):
    incident = defect_incident(severity=3)
    client = client_for(communicator)
    url = create_url(incident, holding=1)
    statement = submit_as_is(client, url, client.get(url).context["form"])
    assert statement.from_key_message == holding and statement.status == ReviewStatus.APPROVED
    assert statement.channels == ["x", "website"]
    assert Action.PUBLISH in review.available_actions(user=communicator, item=statement)
    detail = client.get(
        reverse("incidents:statement_detail", kwargs={"reference": incident.reference, "pk": statement.pk})
    )
    assert SEVERITY_3_TEXT in page_of(detail)
    entry = incident.timeline.get(event="statement.reused_key_message")
    assert timeline.render(entry) == f"Statement “Defect holding” {SEVERITY_3_TEXT[0].lower()}{SEVERITY_3_TEXT[1:]}"


def test_severity_1_says_the_lead_still_approves_on_the_page_the_statement_and_the_timeline(
    client_for, communicator, team_lead, holding
):
    incident = defect_incident(severity=1, lead=team_lead)
    client = client_for(communicator)
    url = create_url(incident, holding=1)
    response = client.get(url)
    page = page_of(response)
    assert SEVERITY_1_TEXT in page
    assert "needs no new review" not in page and "pre-approved" not in page.lower()
    statement = submit_as_is(client, url, response.context["form"])
    # Legal's approval inherited, the lead's still missing: sent straight to the lead, not publishable.
    assert statement.status == ReviewStatus.IN_REVIEW
    assert [r.code for r in review.missing_requirements(statement)] == ["incident_lead"]
    from crisisdesk.notifications.models import Notification

    assert Notification.objects.filter(recipient=team_lead, text__contains="Defect holding").count() == 1
    assert Action.PUBLISH not in review.available_actions(user=communicator, item=statement)
    detail = client.get(
        reverse("incidents:statement_detail", kwargs={"reference": incident.reference, "pk": statement.pk})
    )
    assert SEVERITY_1_TEXT in page_of(detail)
    entry = incident.timeline.get(event="statement.reused_key_message_pending")
    text = timeline.render(entry)
    assert text == f"Statement “Defect holding” {SEVERITY_1_TEXT[0].lower()}{SEVERITY_1_TEXT[1:]}"
    assert "Pre-approved" not in text and "Pre-approved" not in entry.body
    assert not incident.timeline.filter(body__icontains="pre-approve").exists()


def test_outsider_and_hidden_incident_are_404(client_for, outsider, communicator, holding):
    incident = defect_incident()
    assert client_for(outsider).get(create_url(incident, holding=1)).status_code == 404
    hidden = defect_incident(confidential=True)
    assert client_for(communicator).get(create_url(hidden, holding=1)).status_code == 404
    picker = reverse("incidents:statement_pick_key_message", kwargs={"reference": hidden.reference})
    assert client_for(communicator).get(picker).status_code == 404


def test_observer_may_not_draft(client_for, observer, holding):
    assert client_for(observer).get(create_url(defect_incident(), holding=1)).status_code == 403


def test_create_page_query_count_is_flat_from_1_to_20_key_messages(client_for, communicator, legal, holding):
    incident = defect_incident()
    client = client_for(communicator)
    url = create_url(incident, holding=1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    author = UserFactory(username="comms3", role=COMMUNICATOR)
    for n in range(19):
        approved_key_message(author=author, reviewer=legal, title=f"Other {n}")
    with CaptureQueriesContext(connection) as twenty:
        assert len(client.get(url).context["view"].suggestions) == 20
    assert len(twenty) == len(one)
