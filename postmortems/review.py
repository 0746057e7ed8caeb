"""How the review engine's pages (review page, audit trail, queue links, workflow buttons) show post-crisis reviews.

Registered in ``PostmortemsConfig.ready()``: the engine (``crisisdesk.review``) imports no app. Items
are looked up through ``PostmortemReview.objects.visible_to`` (the default of ``ReviewableKind.visible``),
so a confidential incident's review answers 404 to a non-member.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisisdesk.review.registry import ReviewableKind
from incidents.models import Incident, Membership
from postmortems.models import PostmortemReview


@dataclass(frozen=True)
class PostmortemKind(ReviewableKind):
    """How the review engine's pages (review page, audit trail, queue) find and link post-crisis reviews."""

    slug: str = "postmortemreview"
    label: str = gettext_lazy("Post-crisis review")
    model: type = PostmortemReview
    related: tuple[str, ...] = ("incident", "current_revision", "created_by")
    depends_on: tuple[type, ...] = (Incident, Membership)

    def url(self, item) -> str:
        return reverse("postmortems:detail", kwargs={"pk": item.pk})

    def transition_url(self, item) -> str:
        return reverse("postmortems:transition", kwargs={"pk": item.pk})

    def publish_question(self, item) -> str:
        return _("Publish “%(title)s” to the library of post-crisis reviews?") % {"title": item.title}
