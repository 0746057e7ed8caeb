from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostmortemsConfig(AppConfig):
    name = "postmortems"
    verbose_name = _("Post-crisis reviews")

    def ready(self):
        # The review engine's browser pages (review page, audit trail, queue links, workflow
        # buttons) find item types in crisisdesk.review.views.KINDS; a post-crisis review joins it.
        from crisisdesk.review import views as review_views
        from postmortems.views import PostmortemKind

        review_views.KINDS.setdefault("postmortemreview", PostmortemKind())
