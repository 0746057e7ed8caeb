"""Demo data: the seeded crises leave reviews in each state, with action items (some overdue)."""

import pytest
from django.utils import translation

from crisisdesk.review.models import ReviewStatus
from incidents import services as incident_services
from incidents.demo import seed as demo_data
from incidents.models import Incident
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


@pytest.mark.django_db
def test_resolving_a_french_demo_crisis_titles_its_review_in_french():
    # A newcomer on the English interface resolves one of the French crises (none is resolved in the seed).
    users = demo_data.ensure_users()
    demo_data.seed_incidents(users=users)
    french = {spec.title for spec in demo_data.DEMO_INCIDENTS if spec.language == "fr"}
    incident = Incident.objects.filter(title__in=french).exclude(status__in=["resolved", "closed"]).first()
    with translation.override("en"):
        incident_services.incident_change_status(actor=users["lead"], incident=incident, to_status="resolved")
    assert PostmortemReview.objects.get(incident=incident).title == f"Retour d’expérience : {incident.title}"
