"""Admin: reviews are listed as the user may see them, status is read-only, transitions are engine actions."""

import pytest
from django.urls import reverse

from crisisdesk.review.models import ReviewStatus
from postmortems.models import ActionItemStatus, PostmortemReview
from postmortems.tests.helpers import resolved_review


@pytest.mark.django_db
def test_changelist_and_change_form(client_for, admin_user, team_lead, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    client = client_for(admin_user)
    assert client.get(reverse("admin:postmortems_postmortemreview_changelist")).status_code == 200
    url = reverse("admin:postmortems_postmortemreview_change", args=[item.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"title": item.title, "summary": "Edited in admin", "impact_sentiment": "", "status": "published"},
    )
    assert response.status_code == 302
    item = PostmortemReview.objects.get(pk=item.pk)
    assert item.summary == "Edited in admin"
    assert item.status == ReviewStatus.DRAFT  # the posted status is ignored
    assert item.current_revision.number == 2


@pytest.mark.django_db
def test_submit_action_calls_the_engine(client_for, admin_user, team_lead, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    client_for(admin_user).post(
        reverse("admin:postmortems_postmortemreview_changelist"),
        {"action": "submit_items", "_selected_action": [item.pk]},
    )
    assert PostmortemReview.objects.get(pk=item.pk).status == ReviewStatus.IN_REVIEW


@pytest.mark.django_db
def test_action_item_status_action(client_for, admin_user, team_lead, communicator, incident):
    from datetime import date

    from postmortems import services

    item = resolved_review(lead=team_lead, incident=incident)
    action = services.action_item_create(
        actor=team_lead, review_item=item, title="Fix", owner=communicator, due_date=date(2026, 1, 1)
    )
    client_for(admin_user).post(
        reverse("admin:postmortems_actionitem_changelist"), {"action": "mark_done", "_selected_action": [action.pk]}
    )
    action.refresh_from_db()
    assert action.status == ActionItemStatus.DONE
