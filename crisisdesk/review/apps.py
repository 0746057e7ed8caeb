from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    """The generic review engine shared by statements, key messages and, later, playbooks and post-crisis reviews."""

    name = "crisisdesk.review"
    label = "review"
    verbose_name = _("Review")
