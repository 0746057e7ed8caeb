"""Demo post-crisis reviews for ``manage.py seed_demo``: one in each state, with action items (some overdue).

Resolving a demo incident already drafted its review (``incidents.services``); this fills the
drafts in and walks some of them through the review engine, as people would.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from crisisdesk.review import services as review
from crisisdesk.review.models import ReviewStatus
from crisisdesk.review.policy import policy_for
from postmortems import services
from postmortems.models import ActionItemStatus, PostmortemReview

SECTIONS = {
    "impact_reach": 180000,
    "impact_peak_mentions": 2400,
    "impact_sentiment": "negative",
    "impact_press": "Two trade blogs; one regional daily picked it up on day two.",
    "went_well": "The crisis team assembled within the hour and the facts register kept everyone on the same page.",
    "went_badly": "The first holding line waited for sign-off while the story spread; the FAQ lagged the posts.",
    "root_causes": "No pre-approved holding statement existed for this scenario, so every word needed a fresh review.",
    "lessons": "Keep a pre-approved holding statement per scenario and rehearse the sign-off path in exercises.",
}

# The state each successive demo review is left in; the rest stay drafts.
TARGET_STATES = (ReviewStatus.PUBLISHED, ReviewStatus.IN_REVIEW, ReviewStatus.DRAFT, ReviewStatus.PUBLISHED)


def _approver(item, users):
    policy = policy_for(item)
    requirement = policy.requirements(item)[0]
    editors = review.editor_ids(item)
    for name in ("lead2", "lead", "legal"):
        user = users.get(name)
        if user is not None and user.pk not in editors and policy.qualifies(user, item, requirement):
            return user
    return None


@transaction.atomic
def seed_reviews(*, users: dict) -> list[PostmortemReview]:
    """Fill in the demo incidents' review drafts, move them to each state and add action items; idempotent."""
    drafts = (
        PostmortemReview.objects.filter(incident__created_by__username__in=list(users), status=ReviewStatus.DRAFT)
        .filter(current_revision__number=1)
        .select_related("incident", "created_by")
        .order_by("incident__detected_at", "pk")
    )
    today = timezone.localdate()
    seeded = []
    for index, item in enumerate(drafts):
        author = item.created_by
        item = services.postmortem_update(actor=author, review_item=item, **SECTIONS)
        owner = users.get("comms") or author
        first = services.action_item_create(
            actor=author,
            review_item=item,
            title="Write a pre-approved holding statement for this scenario",
            owner=owner,
            due_date=today - timedelta(days=3 + index),  # overdue: shows on the dashboard
            priority=1,
        )
        services.action_item_create(
            actor=author,
            review_item=item,
            title="Rehearse the legal sign-off path in the next exercise",
            owner=author,
            due_date=today + timedelta(days=21),
        )
        if index == 0:
            services.action_item_set_status(actor=owner, action_item=first, status=ActionItemStatus.IN_PROGRESS)
        target = TARGET_STATES[index] if index < len(TARGET_STATES) else ReviewStatus.DRAFT
        approver = _approver(item, users)
        if target != ReviewStatus.DRAFT and approver is not None:
            review.review_submit(actor=author, item=item)
            item.refresh_from_db()
            if target in (ReviewStatus.APPROVED, ReviewStatus.PUBLISHED):
                review.review_approve(actor=approver, item=item, revision=item.current_revision)
            if target == ReviewStatus.PUBLISHED:
                review.review_publish(actor=author, item=item)
        item.refresh_from_db()
        seeded.append(item)
    return seeded
