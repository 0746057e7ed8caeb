"""Opening an incident from ticked mentions (service, browser view, API), the status chips and the term counts."""

import re
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from crisisdesk.audit.models import AuditRecord
from crisisdesk.webhooks.models import OutboxEvent
from incidents.listening import inbox
from incidents.listening import services as mention_services
from incidents.listening.models import Mention, MentionStatus, WatchTerm
from incidents.models import Incident, TimelineEntry

pytestmark = pytest.mark.django_db

POSTED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
API_URL = "/api/v1/mentions/open-incident/"


@pytest.fixture
def terms(team_lead):
    return {
        term: mention_services.watch_term_add(actor=team_lead, term=term, kind=kind)
        for term, kind in (("Acme", "brand"), ("#AcmeFail", "hashtag"), ("Jarvis", "product"))
    }


def ingest(*items):
    mentions = [
        Mention(
            platform=item.get("platform", "x"),
            external_id=item["id"],
            text=item["text"],
            posted_at=item.get("posted_at", POSTED),
            sentiment_label=item.get("sentiment", "negative"),
            audience=item.get("audience", 0),
            author=item.get("author", ""),
        )
        for item in items
    ]
    return mention_services.mentions_ingest(mentions=mentions, source="api").mentions


@pytest.fixture
def mentions(terms):
    return ingest(
        {"id": "1", "text": "Acme jar cracked #AcmeFail", "posted_at": POSTED + timedelta(hours=2)},
        {"id": "2", "text": "Acme jar exploded", "platform": "facebook", "posted_at": POSTED, "audience": 900},
        {"id": "3", "text": "#AcmeFail again, Acme", "platform": "forum", "posted_at": POSTED + timedelta(hours=1)},
    )


# --- service -------------------------------------------------------------------------------------


def test_opens_a_prefilled_incident_and_links_the_mentions(communicator, mentions):
    incident = inbox.mentions_open_incident(actor=communicator, mention_ids=[m.pk for m in mentions])

    # Acme is in all three, #AcmeFail in two; Jarvis in none.
    assert incident.title == "Mentions of Acme, #AcmeFail"
    assert incident.detected_at == POSTED
    assert incident.affected_channels == ["x", "facebook"]
    assert incident.source == "Mention inbox"
    assert incident.created_by == communicator
    # The most read mention is quoted first.
    assert incident.summary.splitlines()[:2] == [
        "3 mentions ticked in the inbox, 3 negative:",
        "- facebook · —: “Acme jar exploded”",
    ]
    linked = Mention.objects.filter(incident=incident)
    assert set(linked.values_list("pk", flat=True)) == {m.pk for m in mentions}
    assert set(linked.values_list("status", flat=True)) == {MentionStatus.TRIAGED}
    assert AuditRecord.objects.filter(action="mention.link").count() == 3
    events = set(TimelineEntry.objects.filter(incident=incident).values_list("event", flat=True))
    assert {"incident.opened", inbox.INBOX_OPENED_NOTE.code} <= events
    assert OutboxEvent.objects.filter(event_type="incident.opened", incident=incident).count() == 1


def test_a_title_given_replaces_the_suggestion(communicator, mentions):
    incident = inbox.mentions_open_incident(actor=communicator, mention_ids=[mentions[0].pk], title="  Cracked jars ")
    assert incident.title == "Cracked jars"


def test_title_suggestion_without_terms_names_the_platforms(communicator):
    unmatched = ingest({"id": "a", "text": "Nothing to see", "platform": "reddit"}, {"id": "b", "text": "Nope"})
    assert inbox.suggested_title(unmatched) == "Mentions on reddit, x"


def test_a_future_post_is_detected_now_not_later(communicator, terms):
    future = ingest({"id": "f", "text": "Acme", "posted_at": timezone.now() + timedelta(days=1)})
    incident = inbox.mentions_open_incident(actor=communicator, mention_ids=[future[0].pk])
    assert incident.detected_at <= timezone.now()


def test_unknown_and_hidden_ids_are_named_alike_and_nothing_is_written(
    communicator, team_lead, mentions, confidential_incident
):
    hidden = ingest({"id": "h", "text": "Acme secret"})[0]
    mention_services.mentions_link_incident(actor=team_lead, mentions=[hidden], incident=confidential_incident)
    with pytest.raises(ValidationError) as caught:
        inbox.mentions_open_incident(actor=communicator, mention_ids=[mentions[0].pk, hidden.pk, 987654])
    assert caught.value.message_dict == {"mentions": [f"Mention {hidden.pk} not found.", "Mention 987654 not found."]}
    assert not Incident.objects.exclude(pk=confidential_incident.pk).exists()
    assert Mention.objects.get(pk=mentions[0].pk).status == MentionStatus.NEW


def test_no_mention_is_refused(communicator):
    with pytest.raises(ValidationError):
        inbox.mentions_open_incident(actor=communicator, mention_ids=[])


def test_a_failure_after_opening_rolls_everything_back(communicator, mentions):
    with mock.patch.object(inbox, "link_mentions", side_effect=RuntimeError("boom")), pytest.raises(RuntimeError):
        inbox.mentions_open_incident(actor=communicator, mention_ids=[m.pk for m in mentions])
    assert not Incident.objects.exists()
    assert not OutboxEvent.objects.filter(event_type="incident.opened").exists()
    assert not TimelineEntry.objects.exists()
    assert not Mention.objects.exclude(status=MentionStatus.NEW).exists()


@pytest.mark.parametrize("persona", ["legal", "observer", "outsider"])
def test_who_may_not_open_incidents_or_triage_may_not(people, mentions, persona):
    with pytest.raises(PermissionDenied):
        inbox.mentions_open_incident(actor=people[persona], mention_ids=[mentions[0].pk])
    assert not Incident.objects.exists()


# --- browser view ----------------------------------------------------------------------------------


def test_view_opens_the_incident_and_lands_in_its_war_room(communicator, mentions, client_for):
    client = client_for(communicator)
    response = client.post(
        reverse("mentions:open_incident"),
        {"ids": [mentions[0].pk, mentions[1].pk], "title": "", "status": "", "next": "/mentions/"},
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == incident.get_absolute_url()
    assert incident.title == "Mentions of Acme, #AcmeFail"
    body = client.get(response.url).content.decode()
    assert f"Incident {incident.reference} opened from 2 mention(s)." in body
    assert "Acme jar cracked #AcmeFail" in body  # quoted in the summary
    assert Mention.objects.filter(incident=incident).count() == 2


def test_view_without_ticked_mentions_goes_back_with_a_message(communicator, client_for):
    client = client_for(communicator)
    response = client.post(reverse("mentions:open_incident"), {"next": "/mentions/?status=new"})
    assert response.status_code == 302 and response.url == "/mentions/?status=new"
    assert "Tick at least one mention." in client.get(response.url).content.decode()
    assert not Incident.objects.exists()


def test_view_refuses_an_offsite_next(communicator, client_for):
    response = client_for(communicator).post(reverse("mentions:open_incident"), {"next": "//evil.example/"})
    assert response.url == reverse("mentions:inbox")


@pytest.mark.parametrize("persona", ["observer", "outsider", "legal"])
def test_view_is_forbidden_to_who_may_not(people, mentions, client_for, persona):
    response = client_for(people[persona]).post(reverse("mentions:open_incident"), {"ids": [mentions[0].pk]})
    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_the_button_shows_only_to_who_may_open(communicator, observer, mentions, client_for):
    url = reverse("mentions:inbox")
    assert "Open incident from selected" in client_for(communicator).get(url).content.decode()
    assert "Open incident from selected" not in client_for(observer).get(url).content.decode()


# --- the inbox: status chips, term counts, query count ---------------------------------------------


def test_status_filter_is_checkbox_chips_and_filters(communicator, mentions, client_for):
    mention_services.mentions_set_status(actor=communicator, mentions=[mentions[0]], status="ignored")
    body = client_for(communicator).get(reverse("mentions:inbox"), {"status": ["ignored"]}).content.decode()
    assert re.search(r'<input type="checkbox" name="status" value="ignored" class="btn-check"[^>]* checked', body)
    assert '<select name="status" multiple' not in body
    assert "Acme jar cracked" in body and "Acme jar exploded" not in body


def test_term_counts_are_new_negative_visible_mentions_and_link_to_the_filtered_inbox(
    communicator, team_lead, terms, mentions, confidential_incident, client_for
):
    ingest({"id": "p", "text": "Acme is great", "sentiment": "positive"})
    hidden = ingest({"id": "h", "text": "Acme secret"})[0]
    mention_services.mentions_link_incident(actor=team_lead, mentions=[hidden], incident=confidential_incident)
    mention_services.mentions_set_status(actor=communicator, mentions=[mentions[2]], status="ignored")
    mention_services.watch_term_add(actor=team_lead, term="Paused", kind="other")
    WatchTerm.objects.filter(term="Paused").update(active=False)

    counts = {t.term: t.new_negative for t in inbox.new_negative_counts(communicator)}
    assert counts == {"Acme": 2, "#AcmeFail": 1, "Jarvis": 0}
    # The lead sees the confidential incident's mention; it was linked, so triaged: not new.
    assert {t.term: t.new_negative for t in inbox.new_negative_counts(team_lead)}["Acme"] == 2

    body = client_for(communicator).get(reverse("mentions:inbox")).content.decode()
    acme = terms["Acme"]
    link = f"{reverse('mentions:inbox')}?term={acme.pk}&amp;sentiment=negative&amp;status=new"
    assert link in body
    filtered = client_for(communicator).get(link.replace("&amp;", "&")).content.decode()
    assert "Acme jar cracked" in filtered and "Acme jar exploded" in filtered
    assert "#AcmeFail again" not in filtered and "Acme is great" not in filtered


def test_term_counts_are_one_query(communicator, terms, mentions, django_assert_num_queries):
    communicator.has_perm("incidents.view_mention")  # the permission cache, as the view has it
    with django_assert_num_queries(1):
        counts = inbox.new_negative_counts(communicator)
    assert [t.term for t in counts] == ["Acme", "#AcmeFail", "Jarvis"]


def test_inbox_query_count_is_flat_from_1_to_50_mentions(communicator, terms, client_for, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ingest({"id": "q-0", "text": "Acme #AcmeFail 0"})
    client = client_for(communicator)
    client.get(reverse("mentions:inbox"))  # warm up per-process caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("mentions:inbox")).status_code == 200
    ingest(*({"id": f"q-{i}", "text": f"Acme #AcmeFail {i}"} for i in range(1, 50)))
    with django_assert_num_queries(len(one.captured_queries)):
        body = client.get(reverse("mentions:inbox")).content.decode()
    assert "50 mentions" in body


# --- API -------------------------------------------------------------------------------------------


def test_api_opens_an_incident(api, mentions):
    response = api("communicator").post(
        API_URL, {"mentions": [mentions[0].pk, mentions[1].pk], "title": "Jar cracks"}, format="json"
    )
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(reference=response.json()["reference"])
    assert incident.title == "Jar cracks"
    assert Mention.objects.filter(incident=incident).count() == 2


def test_api_suggests_the_title_when_absent(api, mentions):
    response = api("team_lead").post(API_URL, {"mentions": [mentions[2].pk]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Mentions of #AcmeFail, Acme"


def test_api_names_each_id_not_found_hidden_or_missing_alike(api, team_lead, mentions, confidential_incident):
    hidden = ingest({"id": "h", "text": "Acme secret"})[0]
    mention_services.mentions_link_incident(actor=team_lead, mentions=[hidden], incident=confidential_incident)
    missing = hidden.pk + 1000
    response = api("communicator").post(API_URL, {"mentions": [mentions[0].pk, hidden.pk, missing]}, format="json")
    assert response.status_code == 400
    assert response.json()["mentions"] == [f"Mention {hidden.pk} not found.", f"Mention {missing} not found."]
    assert Incident.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"mentions": []}, {"mentions": ["x"]}, {"mentions": [0]}, {"mentions": [1], "title": "t" * 201}, {"x": 1}],
)
def test_api_bad_shapes_are_400(api, mentions, body):
    response = api("communicator").post(API_URL, body, format="json")
    assert response.status_code == 400, response.content
    assert not Incident.objects.exists()


@pytest.mark.parametrize("persona", ["legal", "observer", "outsider"])
def test_api_who_may_not_gets_403(api, mentions, persona):
    response = api(persona).post(API_URL, {"mentions": [mentions[0].pk]}, format="json")
    assert response.status_code == 403
    assert not Incident.objects.exists()
    assert Mention.objects.get(pk=mentions[0].pk).status == MentionStatus.NEW
