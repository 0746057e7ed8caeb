"""Chat tables: destinations (an Apprise URL each, encrypted or referenced) and deliveries with their attempts.

Status fields are written only by ``crisisdesk.chat.services``. A delivery carries the
message it sends (rendered when the event was recorded, from fixed interface text,
identifiers, links and reviewed words), so the log shows exactly what went out.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crisisdesk.webhooks.models import (
    DeliveryState,
    DeliveryStateQuerySet,
    DeliveryStatus,
    OutboxEvent,
    visible_incidents,
)

from . import secrets

# Incident severity: 1 is the most severe. A destination receives events of incidents at least
# as severe as its ``min_severity`` (1 = critical only … 4 = every incident).
SEVERITY_CHOICES = [
    (1, _("1 — Critical only")),
    (2, _("2 — High and above")),
    (3, _("3 — Medium and above")),
    (4, _("4 — Every severity")),
]


class DestinationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Destinations are configuration: all or nothing, by the ``view_destination`` permission."""
        if user.is_authenticated and user.is_active and user.has_perm("chat.view_destination"):
            return self
        return self.none()

    def active(self):
        return self.filter(is_active=True)


class Destination(models.Model):
    """Where chat messages go: one Apprise URL (Slack, Teams, Mattermost, mailto, SMS…), never shown back in full."""

    name = models.CharField(_("name"), max_length=120)
    # Either a Fernet token of the URL, or ``env:NAME`` (the URL is read from that variable when sending).
    url_secret = models.TextField(_("URL (encrypted or reference)"), editable=False)
    url_masked = models.CharField(_("URL"), max_length=300, editable=False)
    event_types = models.JSONField(_("event types"), default=list)
    min_severity = models.PositiveSmallIntegerField(_("minimum severity"), choices=SEVERITY_CHOICES, default=4)
    is_active = models.BooleanField(_("active"), default=True)
    include_confidential = models.BooleanField(
        _("include confidential incidents"),
        default=False,
        help_text=_("Send events of confidential incidents too. Only an administrator may turn this on."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = DestinationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("chat destination")
        verbose_name_plural = _("chat destinations")
        permissions = [("test_destination", "Can send a test message to a chat destination")]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="chat_destination_name_not_empty"),
            models.CheckConstraint(condition=~Q(url_secret=""), name="chat_destination_url_not_empty"),
            models.CheckConstraint(
                condition=Q(min_severity__gte=1, min_severity__lte=4), name="chat_destination_severity_1_to_4"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Destination {self.pk} {self.name!r} {self.url_masked!r}>"

    def get_absolute_url(self) -> str:
        return reverse("chat:detail", kwargs={"pk": self.pk})

    @property
    def is_reference(self) -> bool:
        return secrets.is_reference(self.url_secret)

    def set_url(self, url: str) -> None:
        """Store ``url`` encrypted (or the ``env:NAME`` reference as is) and its masked form."""
        self.url_secret = url if secrets.is_reference(url) else secrets.encrypt(url)
        self.url_masked = secrets.mask(url)

    def apprise_url(self) -> str:
        """The URL in clear, for sending only; raises ``SecretUnavailable``."""
        if self.is_reference:
            return secrets.resolve_reference(self.url_secret)
        return secrets.decrypt(self.url_secret)

    def wants(self, event_type: str, *, confidential: bool, severity: int | None) -> bool:
        """Does this destination receive ``event_type`` of an incident this confidential and severe?

        An event without a severity (a spike alert without an incident) goes to every
        destination that chose its type: the type is the filter, and an alert is urgent by nature.
        """
        if not (self.is_active and event_type in self.event_types):
            return False
        if confidential and not self.include_confidential:
            return False
        return severity is None or severity <= self.min_severity


class ChatDeliveryQuerySet(DeliveryStateQuerySet):
    def visible_to(self, user):
        """With the permission, and never one of a confidential incident the user cannot see."""
        if not (user.is_authenticated and user.is_active and user.has_perm("chat.view_chatdelivery")):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(Q(incident__isnull=True) | Q(incident__in=visible_incidents(user)))


class ChatDelivery(DeliveryState):
    """One event (or a test message) to one destination: sent until Apprise reports success, retried, dead-lettered."""

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="deliveries")
    # Null for exercises (they write no outbox event) and for test messages.
    event = models.ForeignKey(
        OutboxEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="chat_deliveries"
    )
    event_type = models.CharField(_("type"), max_length=64, db_index=True)
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="chat_deliveries"
    )
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("message"))

    objects = ChatDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("chat delivery")
        verbose_name_plural = _("chat deliveries")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__isnull=False)
                | Q(status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.DEAD], next_attempt_at__isnull=True),
                name="chat_delivery_open_iff_scheduled",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="chat_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.destination}"


class ChatAttempt(models.Model):
    """One notify call of a delivery: when, how long, what Apprise reported."""

    delivery = models.ForeignKey(ChatDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    error = models.TextField(_("error"), blank=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("chat delivery attempt")
        verbose_name_plural = _("chat delivery attempts")
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="chat_attempt_number_unique")]

    def __str__(self) -> str:
        return f"#{self.number} {'ok' if self.succeeded else self.error[:40]}"
