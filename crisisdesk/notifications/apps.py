from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """In-app notifications (the bell): kinds registered by the apps, rows written in their transactions."""

    name = "crisisdesk.notifications"
    label = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The bell's count joins the other navigation badges in one query (crisisdesk.badges).
        from crisisdesk.badges import register_badge

        from .context_processors import BADGE, unread_for

        register_badge(BADGE, unread_for)
