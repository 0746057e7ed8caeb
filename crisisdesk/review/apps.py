from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class ReviewConfig(AppConfig):
    """The generic review engine shared by statements, key messages and, later, playbooks and post-crisis reviews."""

    name = "crisisdesk.review"
    label = "review"
    verbose_name = pgettext_lazy("editorial review", "Review")

    def ready(self):
        # The apps register their kinds of reviewed items in their own ready(); this check,
        # run after every ready(), refuses a Reviewable model that none of them registered.
        from django.core import checks

        from .checks import check_reviewable_kinds

        checks.register(check_reviewable_kinds, checks.Tags.models)

        # "Is any review round open?" rides with the navigation badges (crisisdesk.badges): when none
        # is, the queue count costs nothing more.
        from crisisdesk.badges import register_badge

        from .selectors import OPEN_REVIEWS_BADGE, open_review_requests_for

        register_badge(OPEN_REVIEWS_BADGE, open_review_requests_for)

        # The queue count itself is cached until a write changes review state (crisisdesk.review.queue_count);
        # the kinds' own models and what they depend on are watched as the apps register them.
        from . import queue_count
        from .models import ReviewDecision, ReviewRequest, Revision

        queue_count.watch(ReviewRequest, ReviewDecision, Revision)
        queue_count.watch_people()

        # In-app notifications of review requests and decisions (crisisdesk.notifications).
        from .notify import register_kinds

        register_kinds()
