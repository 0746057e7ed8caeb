"""The inbox and its actions in the browser: permissions, bulk triage, answers, private follow-ups, CSV upload."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.listening import services as mention_services
from incidents.listening.models import Alert, Mention, MentionStatus, PrivateFollowUp, SpikeRule, WatchTerm

POSTED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def make_mentions(n, **extra):
    mentions = [
        Mention(platform="x", external_id=f"v-{i}", text=f"Acme jar {i} cracked", posted_at=POSTED, **extra)
        for i in range(n)
    ]
    return mention_services.mentions_ingest(mentions=mentions, source="api").mentions


@pytest.mark.parametrize("persona", ["communicator", "legal", "team_lead", "observer"])
def test_roles_see_the_inbox(persona, personas, client_for):
    make_mentions(2)
    response = client_for(personas[persona]).get(reverse("mentions:inbox"))
    assert response.status_code == 200
    assert "Acme jar 0 cracked" in response.content.decode()


def test_outsider_gets_403(outsider, client_for):
    assert client_for(outsider).get(reverse("mentions:inbox")).status_code == 403


def test_inbox_filters(communicator, client_for):
    make_mentions(2)
    Mention.objects.create(platform="facebook", external_id="f1", text="Lovely", posted_at=POSTED, audience=10_000)
    body = client_for(communicator).get(reverse("mentions:inbox"), {"platform": "facebook"}).content.decode()
    assert "Lovely" in body and "Acme jar 0" not in body
    body = client_for(communicator).get(reverse("mentions:inbox"), {"min_audience": 5000}).content.decode()
    assert "Lovely" in body and "Acme jar 0" not in body


def test_inbox_pages_keep_every_value_of_a_filter_and_ids_are_unique(communicator, client_for):
    import re

    make_mentions(60)
    body = (
        client_for(communicator)
        .get(reverse("mentions:inbox") + "?status=new&status=triaged&platform=x")
        .content.decode()
    )
    (next_link,) = re.findall(r'href="([^"]*)" rel="next"', body)
    assert "status=new" in next_link and "status=triaged" in next_link and "page=2" in next_link
    # The filter's incident field and the bulk form's incident select have ids of their own.
    ids = re.findall(r'\bid="([^"]+)"', body)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_inbox_query_count_is_flat(communicator, client_for, django_assert_max_num_queries):
    make_mentions(1)
    client = client_for(communicator)
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("mentions:inbox"))
    make_mentions(49)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("mentions:inbox"))


def test_bulk_triage_links_incident_and_sets_status(communicator, incident, client_for):
    mentions = make_mentions(3)
    response = client_for(communicator).post(
        reverse("mentions:triage"), {"ids": [mentions[0].pk, mentions[1].pk], "incident": incident.pk}
    )
    assert response.status_code == 302
    assert set(Mention.objects.filter(incident=incident).values_list("pk", flat=True)) == {
        mentions[0].pk,
        mentions[1].pk,
    }
    assert Mention.objects.get(pk=mentions[0].pk).status == MentionStatus.TRIAGED
    client_for(communicator).post(reverse("mentions:triage"), {"ids": [mentions[2].pk], "status": "ignored"})
    assert Mention.objects.get(pk=mentions[2].pk).status == MentionStatus.IGNORED


def test_observer_cannot_triage(observer, client_for):
    (mention,) = make_mentions(1)
    client_for(observer).post(reverse("mentions:triage"), {"ids": [mention.pk], "status": "ignored"})
    # The service refuses; the view answers with a 403.
    assert Mention.objects.get(pk=mention.pk).status == MentionStatus.NEW


def test_cannot_link_a_confidential_incident_one_cannot_see(communicator, confidential_incident):
    (mention,) = make_mentions(1)
    with pytest.raises(PermissionDenied):
        mention_services.mentions_link_incident(actor=communicator, mentions=[mention], incident=confidential_incident)


def test_record_public_answer(communicator, client_for):
    (mention,) = make_mentions(1)
    client_for(communicator).post(reverse("mentions:answer", args=[mention.pk]), {"reply_url": "https://x.com/acme/1"})
    mention.refresh_from_db()
    assert (mention.status, mention.reply_url) == (MentionStatus.ANSWERED, "https://x.com/acme/1")


def test_private_follow_up_is_visible_to_the_team_only(team_lead, communicator, observer, incident, client_for):
    from crisisdesk.testing.factories import MembershipFactory, role

    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    (mention,) = make_mentions(1)
    response = client_for(team_lead).post(
        reverse("mentions:answer_privately", args=[mention.pk]),
        {"channel": "direct_message", "incident": incident.pk, "outcome": "Customer offered a replacement jar"},
    )
    assert response.status_code == 302
    follow_up = PrivateFollowUp.objects.get()
    mention.refresh_from_db()
    assert mention.status == MentionStatus.ANSWERED_PRIVATELY and mention.incident == incident
    detail = reverse("mentions:detail", args=[mention.pk])
    assert "replacement jar" in client_for(team_lead).get(detail).content.decode()
    # The incident is not confidential, yet its follow-ups are: non-members see neither text nor row.
    for outsider_of_team in (communicator, observer):
        assert "replacement jar" not in client_for(outsider_of_team).get(detail).content.decode()
        assert not PrivateFollowUp.objects.visible_to(outsider_of_team).filter(pk=follow_up.pk).exists()


def test_only_team_members_record_private_follow_ups(communicator, incident):
    (mention,) = make_mentions(1)
    with pytest.raises(PermissionDenied):
        mention_services.mention_answer_privately(
            actor=communicator, mention=mention, incident=incident, channel="email"
        )


def test_mentions_of_a_hidden_confidential_incident_are_hidden(observer, team_lead, confidential_incident, client_for):
    (mention,) = make_mentions(1)
    mention_services.mentions_link_incident(actor=team_lead, mentions=[mention], incident=confidential_incident)
    assert client_for(observer).get(reverse("mentions:detail", args=[mention.pk])).status_code == 404
    assert client_for(team_lead).get(reverse("mentions:detail", args=[mention.pk])).status_code == 200


def test_csv_upload_page_reports_bad_lines(communicator, client_for):
    csv = b"platform,external_id,text,posted_at\nx,1,Acme ok,2026-11-20T10:00:00Z\nx,2,Acme,bad-date\n"
    response = client_for(communicator).post(
        reverse("mentions:import"), {"file": SimpleUploadedFile("m.csv", csv, content_type="text/csv")}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 mention imported." in body
    assert "<td>3</td><td>posted_at</td>" in body
    assert Mention.objects.count() == 1


def test_csv_upload_needs_ingest_permission(observer, client_for):
    assert client_for(observer).get(reverse("mentions:import")).status_code == 403


def test_team_lead_manages_watch_terms(team_lead, communicator, client_for):
    client_for(communicator).post(reverse("mentions:terms"), {"term": "Acme", "kind": "brand"})
    assert not WatchTerm.objects.exists()
    client_for(team_lead).post(reverse("mentions:terms"), {"term": "Acme", "kind": "brand"})
    term = WatchTerm.objects.get()
    response = client_for(team_lead).post(reverse("mentions:terms"), {"term": "ACME", "kind": "brand"})
    assert "already watched" in response.content.decode()
    client_for(team_lead).post(reverse("mentions:term_toggle", args=[term.pk]))
    term.refresh_from_db()
    assert term.active is False


def test_alert_and_chart_pages(team_lead, observer, incident, client_for):
    term = mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")
    make_mentions(3)
    rule = SpikeRule.objects.create(name="r", watch_term=term)
    alert = Alert.objects.create(
        rule=rule,
        watch_term=term,
        fired_at=POSTED,
        window_start=POSTED,
        window_end=POSTED,
        count=3,
        baseline=0,
        negative_share=1,
        baseline_negative_share=0,
        evidence={
            "mention_ids": list(Mention.objects.values_list("pk", flat=True)),
            "curve": [{"at": POSTED.isoformat(), "count": 3, "negative": 3}],
        },
    )
    client = client_for(observer)
    assert "Acme" in client.get(reverse("mentions:alerts")).content.decode()
    assert "<svg" in client.get(reverse("mentions:alert", args=[alert.pk])).content.decode()
    assert client.get(reverse("mentions:term_chart", args=[term.pk])).status_code == 200
    assert client.get(reverse("mentions:incident_chart", args=[incident.reference])).status_code == 200
