from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    """Chat, e-mail and SMS destinations through Apprise, fed by the webhooks outbox."""

    name = "crisisdesk.chat"
    label = "chat"
    verbose_name = _("Chat and paging")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Kernel to kernel, one way: the outbox calls its listeners; webhooks never imports chat.
        from crisisdesk.webhooks import services as webhooks

        from .services import fan_out

        if fan_out not in webhooks.OUTBOX_LISTENERS:
            webhooks.OUTBOX_LISTENERS.append(fan_out)
