"""The war room links to the incident's mentions, its mention chart and its post-crisis review."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from postmortems.services import postmortem_draft_for


def war_room(client, incident):
    return client.get(reverse("incidents:detail", args=[incident.reference]))


def test_war_room_links_to_the_chart_and_the_filtered_inbox(incident, communicator, client_for):
    body = war_room(client_for(communicator), incident).content.decode()
    assert reverse("mentions:incident_chart", args=[incident.reference]) in body
    assert f"{reverse('mentions:inbox')}?incident={incident.reference}" in body
    assert "Post-crisis review" not in body  # the incident has none yet


def test_post_crisis_review_link_appears_without_an_extra_query(
    incident, team_lead, client_for, django_assert_num_queries
):
    client = client_for(team_lead)
    war_room(client, incident)  # warm up what is cached per process (content types…)
    with CaptureQueriesContext(connection) as without_review:
        body = war_room(client, incident).content.decode()
    assert "Post-crisis review" not in body
    review = postmortem_draft_for(incident=incident, actor=team_lead)
    with django_assert_num_queries(len(without_review.captured_queries)):
        body = war_room(client, incident).content.decode()
    assert reverse("postmortems:detail", args=[review.pk]) in body
