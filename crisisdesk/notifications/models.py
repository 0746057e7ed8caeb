"""The ``Notification`` table: one row per person told about one thing."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from . import kinds, messages


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "NotificationQuerySet":
        """A person's own notifications, without those about an incident they may no longer see."""
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        # EXISTS, correlated on the row's incident: "incident IN (every visible incident)" had PostgreSQL
        # hash all 100,000 incidents on each request (~75 ms for the navigation's badges alone).
        visible = Exists(visible_incidents(user).filter(pk=OuterRef("incident_id")))
        return self.filter(recipient=user).filter(Q(incident__isnull=True) | visible)

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Something a person should look at: fixed interface text with object labels, and a link to it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=64)
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # The text as a message (``messages.message``): shown in the reader's language; ``text`` is the fallback.
    message = models.JSONField(_("message"), default=dict, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    created_at = models.DateTimeField(_("created"), db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notifications_recipient_read")]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="notifications_text_not_empty")]

    def __str__(self) -> str:
        return self.text

    @property
    def display_text(self) -> str:
        """The text in the active language when the row carries its message, else the stored text."""
        if not self.message:
            return self.text
        try:
            return messages.render(self.message)
        except (KeyError, TypeError, ValueError):
            return self.text

    @property
    def kind_label(self) -> str:
        return kinds.label(self.kind)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


def visible_incidents(user):
    """The incidents ``user`` may see, read through the ``incident`` foreign key's model (the kernel imports no app).

    Same reasoning as ``crisisdesk.webhooks.models.visible_incidents``: the foreign key already
    names the model, so this adds no coupling and needs no hook.
    """
    incident_model = Notification._meta.get_field("incident").related_model
    return incident_model._default_manager.visible_to(user)
