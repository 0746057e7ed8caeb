"""What postmortems adds to ``seed_demo`` (``crisisdesk.demo``); called from ``PostmortemsConfig.ready()``.

After the crises (incidents' step, 30), whose resolution drafted the reviews; only on a fresh desk.
"""

from django.utils.translation import gettext as _

from crisisdesk import demo

REVIEWS_STEP = 40


def _reviews(context: demo.DemoContext) -> None:
    from postmortems.demo.seed import seed_reviews

    reviews = seed_reviews(users=context.users)
    context.success(_("Filled in %(count)d post-crisis reviews.") % {"count": len(reviews)})


def register() -> None:
    demo.register(REVIEWS_STEP, "postmortems.reviews", _reviews, once=True)
