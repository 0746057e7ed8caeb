"""Demo data: the seeded crises leave reviews in each state, with action items (some overdue)."""

import pytest

from crisisdesk.review.models import ReviewStatus
from incidents.demo import seed as demo_data
from postmortems.demo import seed as postmortem_demo
from postmortems.models import ActionItem, PostmortemReview


@pytest.mark.django_db
def test_demo_reviews_in_each_state():
    users = demo_data.ensure_users()
    demo_data.seed_incidents(users=users)
    seeded = postmortem_demo.seed_reviews(users=users)
    states = {item.status for item in seeded}
    assert {ReviewStatus.DRAFT, ReviewStatus.IN_REVIEW, ReviewStatus.PUBLISHED} <= states
    assert PostmortemReview.objects.filter(incident__status__in=["resolved", "closed"]).count() == len(seeded)
    assert ActionItem.objects.overdue().exists()
    # Idempotent: a second run finds no fresh draft to fill in.
    assert postmortem_demo.seed_reviews(users=users) == []
