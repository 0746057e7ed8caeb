"""Browser views: pages render for the right personas, writes go through the services, exports, dashboard."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisdesk.review.models import ReviewStatus
from postmortems import services
from postmortems.models import ActionItemStatus, PostmortemReview
from postmortems.tests.helpers import published_review, resolved_review, second_team_lead


@pytest.fixture
def draft(team_lead, incident):
    return resolved_review(lead=team_lead, incident=incident)


@pytest.mark.django_db
def test_detail_shows_sections_metrics_and_buttons(client_for, team_lead, draft):
    response = client_for(team_lead).get(reverse("postmortems:detail", args=[draft.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Time to acknowledge" in body
    assert 'value="submit"' in body
    assert reverse("postmortems:edit", args=[draft.pk]) in body


@pytest.mark.django_db
def test_edit_saves_a_revision_and_warns_about_blame(client_for, team_lead, draft):
    client = client_for(team_lead)
    response = client.post(
        reverse("postmortems:edit", args=[draft.pk]),
        {
            "title": "Review: cracked jars",
            "summary": "A jar cracked on video.",
            "impact_reach": "120000",
            "impact_sentiment": "negative",
            "went_badly": "It was the intern's fault.",
            "lessons": "Keep a holding line ready.",
        },
        follow=True,
    )
    assert response.status_code == 200
    item = PostmortemReview.objects.get(pk=draft.pk)
    assert item.current_revision.number == 2
    assert item.impact_reach == 120000
    assert "Blameless wording?" in response.content.decode()


@pytest.mark.django_db
def test_observer_cannot_edit(client_for, observer, draft):
    assert client_for(observer).get(reverse("postmortems:edit", args=[draft.pk])).status_code == 403


@pytest.mark.django_db
def test_transition_buttons_call_the_engine(client, team_lead, draft):
    other = second_team_lead()
    client.force_login(team_lead)
    url = reverse("postmortems:transition", args=[draft.pk])
    client.post(url, {"action": "submit"})
    assert PostmortemReview.objects.get(pk=draft.pk).status == ReviewStatus.IN_REVIEW
    # The author's approval is refused.
    assert client.post(url, {"action": "approve", "revision": draft.current_revision_id}).status_code == 403
    client.force_login(other)
    client.post(url, {"action": "approve", "revision": draft.current_revision_id})
    assert PostmortemReview.objects.get(pk=draft.pk).status == ReviewStatus.APPROVED
    client.force_login(team_lead)
    client.post(url, {"action": "publish", "revision": draft.current_revision_id, "confirmed": "1"})
    assert PostmortemReview.objects.get(pk=draft.pk).status == ReviewStatus.PUBLISHED


@pytest.mark.django_db
def test_review_queue_and_review_page_know_post_crisis_reviews(client_for, team_lead, legal, draft):
    from crisisdesk.review import services as review

    review.review_submit(actor=team_lead, item=draft)
    client = client_for(legal)
    queue = client.get(reverse("review:queue")).content.decode()
    page_url = reverse("review:review", kwargs={"kind": "postmortemreview", "pk": draft.pk})
    assert page_url in queue
    page = client.get(page_url)
    assert page.status_code == 200
    assert client.get(reverse("review:audit", kwargs={"kind": "postmortemreview", "pk": draft.pk})).status_code == 200


@pytest.mark.django_db
def test_exports_of_a_published_review(client_for, team_lead, incident):
    item = published_review(
        author=team_lead, approver=second_team_lead(), incident=incident, lessons="Pre-approve a holding line."
    )
    client = client_for(team_lead)
    printable = client.get(reverse("postmortems:print", args=[item.pk]))
    assert printable.status_code == 200
    assert "Pre-approve a holding line." in printable.content.decode()
    markdown = client.get(reverse("postmortems:markdown", args=[item.pk]))
    assert markdown["Content-Type"].startswith("text/markdown")
    assert "attachment;" in markdown["Content-Disposition"]
    text = markdown.content.decode()
    assert text.startswith(f"# {item.title}\n")
    assert "## Lessons\n\nPre-approve a holding line." in text
    assert "| Time to resolve |" in text


@pytest.mark.django_db
def test_a_draft_is_not_exported(client_for, team_lead, draft):
    assert client_for(team_lead).get(reverse("postmortems:markdown", args=[draft.pk])).status_code == 404


@pytest.mark.django_db
def test_action_items_pages_and_the_closed_banner(client, team_lead, communicator, draft):
    client.force_login(team_lead)
    response = client.post(
        reverse("postmortems:action_create", args=[draft.pk]),
        {"title": "Size check", "owner": communicator.pk, "due_date": "2020-01-01", "priority": "1"},
    )
    assert response.status_code == 302
    action = draft.action_items.get()
    # Overdue on the dashboard of anyone who may see it.
    assert "Size check" in client.get(reverse("dashboard")).content.decode()
    client.force_login(communicator)
    mine = client.get(reverse("postmortems:my_actions")).content.decode()
    assert "Size check" in mine and "Overdue" in mine
    client.post(reverse("postmortems:action_status", args=[action.pk]), {"status": "done", "next": "mine"})
    action.refresh_from_db()
    assert action.status == ActionItemStatus.DONE
    page = client.get(reverse("postmortems:detail", args=[draft.pk])).content.decode()
    assert "cd-pm-all-closed" in page


@pytest.mark.django_db
def test_metrics_page_draws_svg_charts(client_for, team_lead, communicator, draft):
    response = client_for(team_lead).get(reverse("postmortems:metrics"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and "cd-bar-median" in body
    assert "<script" not in body.split("</main>")[0].split("<main")[1]
    assert client_for(communicator).get(reverse("postmortems:metrics")).status_code == 403


@pytest.mark.django_db
def test_library_lists_only_published(client_for, team_lead, incident, draft):
    client = client_for(team_lead)
    assert draft.title not in client.get(reverse("postmortems:library")).content.decode()
    services.postmortem_update(actor=team_lead, review_item=draft, lessons="Hold lines.")
    item = PostmortemReview.objects.get(pk=draft.pk)
    from crisisdesk.review import services as review

    review.review_submit(actor=team_lead, item=item)
    review.review_approve(
        actor=second_team_lead(), item=item, revision=PostmortemReview.objects.get(pk=item.pk).current_revision
    )
    review.review_publish(actor=team_lead, item=item)
    assert draft.title in client.get(reverse("postmortems:library")).content.decode()


@pytest.mark.django_db
def test_due_date_in_the_future_is_not_on_the_dashboard(client_for, team_lead, communicator, draft):
    services.action_item_create(
        actor=team_lead, review_item=draft, title="Later", owner=communicator, due_date=date.today() + timedelta(7)
    )
    assert "Overdue action items" not in client_for(team_lead).get(reverse("dashboard")).content.decode()


def test_action_item_leads_to_a_new_version_of_its_playbook(client, team_lead, communicator, observer):
    """DESIGN: an action item may name the playbook it must change; from there a new version is drafted."""
    from crisisdesk.testing.factories import IncidentFactory
    from playbooks.models import PlaybookVersion
    from playbooks.tests.playbook_helpers import active_playbook
    from playbooks.tests.playbook_helpers import second_team_lead as other_lead

    playbook = active_playbook(author=team_lead, approver=other_lead())
    incident = IncidentFactory(status="investigating", acknowledged_at=timezone.now(), lead=team_lead)
    item = resolved_review(lead=team_lead, incident=incident)
    services.action_item_create(
        actor=team_lead,
        review_item=item,
        title="Add a recall step",
        owner=communicator,
        due_date=date.today() + timedelta(days=7),
        playbook=playbook,
    )
    url = reverse("playbooks:version_new", args=[playbook.pk])

    client.force_login(observer)
    page = client.get(item.get_absolute_url()).content.decode()
    assert playbook.title in page and url not in page  # observers read, they do not draft

    client.force_login(team_lead)
    page = client.get(item.get_absolute_url()).content.decode()
    assert url in page
    before = PlaybookVersion.objects.filter(playbook=playbook).count()
    response = client.post(url)
    assert response.status_code == 302
    assert PlaybookVersion.objects.filter(playbook=playbook).count() == before + 1
