"""Demo post-crisis reviews for ``manage.py seed_demo``: one in each state, with action items (some overdue).

Resolving a demo incident already drafted its review (``incidents.services``); this fills the
drafts in (``loader``: ``en/reviews.yaml``) and walks some of them through the review engine,
as people would.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from crisisdesk.review import services as review
from crisisdesk.review.models import ReviewStatus
from crisisdesk.review.policy import policy_for
from postmortems import services
from postmortems.demo.loader import AUTHOR, load_reviews
from postmortems.models import ActionItemStatus, PostmortemReview


def _approver(item, users, approvers):
    policy = policy_for(item)
    requirement = policy.requirements(item)[0]
    editors = review.editor_ids(item)
    for name in approvers:
        user = users.get(name)
        if user is not None and user.pk not in editors and policy.qualifies(user, item, requirement):
            return user
    return None


@transaction.atomic
def seed_reviews(*, users: dict) -> list[PostmortemReview]:
    """Fill in the demo incidents' review drafts, move them to each state and add action items; idempotent."""
    spec = load_reviews()
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
        item = services.postmortem_update(actor=author, review_item=item, **spec.sections)
        started = []
        for action in spec.action_items:
            owner = author if action.owner == AUTHOR else users.get(action.owner) or author
            due_in = action.due_in_days - (index if action.one_day_earlier_each_review else 0)
            extra = {"priority": action.priority} if action.priority is not None else {}
            created = services.action_item_create(
                actor=author,
                review_item=item,
                title=action.title,
                owner=owner,
                due_date=today + timedelta(days=due_in),
                **extra,
            )
            if index == 0 and action.in_progress_on_first_review:
                started.append((owner, created))
        for owner, action_item in started:
            services.action_item_set_status(actor=owner, action_item=action_item, status=ActionItemStatus.IN_PROGRESS)
        target = spec.states[index] if index < len(spec.states) else ReviewStatus.DRAFT
        approver = _approver(item, users, spec.approvers)
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
