"""Webhook tables: subscriptions, the transactional outbox, deliveries and their attempts.

An ``OutboxEvent`` is written in the same transaction as the change it reports,
with one ``Delivery`` per matching subscription; workers then send each delivery
and log every try as a ``DeliveryAttempt``. Status fields are written only by
``crisisdesk.webhooks.services``.
"""

import base64
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import events

SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class SubscriptionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Subscriptions are configuration: all or nothing, by the ``view_subscription`` permission."""
        if user.is_authenticated and user.is_active and user.has_perm("webhooks.view_subscription"):
            return self
        return self.none()

    def active(self):
        return self.filter(is_active=True)


class Subscription(models.Model):
    """An endpoint that receives signed events of the types it chose."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    # Kept in clear: HMAC signing needs it. Shown to team leads on demand, never logged.
    secret = models.CharField(_("signing secret"), max_length=100, default=generate_secret, editable=False)
    event_types = models.JSONField(_("event types"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    include_confidential = models.BooleanField(
        _("include confidential incidents"),
        default=False,
        help_text=_("Send events of confidential incidents too. Only an administrator may turn this on."),
    )
    include_internal_drafts = models.BooleanField(
        _("internal: include drafts and staff notes"),
        default=False,
        help_text=_(
            "Send the words of statements not yet published, withdrawal reasons and reviewers' comments. "
            "For internal systems only; only an administrator may turn this on."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="webhooks_subscription_name_not_empty"),
            models.CheckConstraint(condition=~Q(url=""), name="webhooks_subscription_url_not_empty"),
        ]

    def __str__(self) -> str:
        # Never the secret.
        return self.name

    def __repr__(self) -> str:
        return f"<Subscription {self.pk} {self.name!r} {self.url!r}>"

    def get_absolute_url(self) -> str:
        return reverse("webhooks:detail", kwargs={"pk": self.pk})

    def wants(self, event_type: str, *, confidential: bool) -> bool:
        """Does this subscription receive ``event_type`` (of a confidential incident or not)?"""
        return self.is_active and event_type in self.event_types and (self.include_confidential or not confidential)

    @property
    def masked_secret(self) -> str:
        return f"{self.secret[:10]}…" if self.secret else ""


class OutboxEvent(models.Model):
    """One event, written in the transaction of the change it reports; its id is the receivers' dedupe key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_type = models.CharField(_("type"), max_length=64, db_index=True)
    payload = models.JSONField(_("data"), default=dict)
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="webhook_events"
    )
    # A snapshot: the incident may become confidential later, the deliveries were chosen now.
    confidential = models.BooleanField(_("confidential"), default=False)
    created_at = models.DateTimeField(_("created"), db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")

    def __str__(self) -> str:
        return f"{self.event_type} {self.id}"

    def payload_for(self, subscription) -> dict:
        """The ``data`` this subscription receives: redacted unless it is flagged ``include_internal_drafts``."""
        return events.payload_for(self.event_type, self.payload, internal=subscription.include_internal_drafts)

    def envelope(self, *, subscription=None) -> dict:
        """What a receiver gets: ``{"id", "type", "created_at", "data"}``.

        With a ``subscription``, ``data`` is what that subscription receives (see ``payload_for``);
        without one, the full stored payload (staff's view of the outbox).
        """
        return {
            "id": str(self.id),
            "type": self.event_type,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "data": self.payload if subscription is None else self.payload_for(subscription),
        }


def visible_incidents(user):
    """The incidents ``user`` may see, as the incidents app decides (its ``visible_to``): events of others stay hidden.

    Read through the ``incident`` foreign key's model rather than imported (the kernel imports no
    app) or registered by the incidents app: the foreign key already names the model, so this adds
    no coupling, needs no ``ready()`` hook that could be forgotten or run late, and cannot point
    at another model than the rows do. The review engine's selectors use the same ``visible_to``
    convention.
    """
    incident_model = OutboxEvent._meta.get_field("incident").related_model
    return incident_model._default_manager.visible_to(user)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Failed, will retry")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Dead (gave up)")


# Deliveries a worker may still send; the others are final until someone redelivers.
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


class DeliveryState(models.Model):
    """Where one outbound delivery stands (webhook deliveries and chat deliveries share it and its rules).

    ``outbox.settle`` moves it after each attempt (delivered, retried with backoff, dead after
    ``WEBHOOK_MAX_ATTEMPTS``) and ``outbox.reopen`` gives a dead or failing one a fresh run.
    """

    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    # Every attempt ever made (the log numbers them); ``failures`` counts the current run of
    # failures, which drives the backoff and the retry limit (a redelivery starts a new run).
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        abstract = True

    @property
    def can_redeliver(self) -> bool:
        return self.status in (DeliveryStatus.DEAD, DeliveryStatus.RETRYING)


class DeliveryStateQuerySet(models.QuerySet):
    def due(self, now):
        """Open deliveries whose next attempt is at or before ``now``."""
        return self.filter(status__in=OPEN_STATUSES, next_attempt_at__lte=now)


class DeliveryQuerySet(DeliveryStateQuerySet):
    def visible_to(self, user):
        """Deliveries a user may see: with the permission, and never one of a confidential incident they cannot see."""
        if not (user.is_authenticated and user.is_active and user.has_perm("webhooks.view_delivery")):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(Q(event__incident__isnull=True) | Q(event__incident__in=visible_incidents(user)))


class Delivery(DeliveryState):
    """One event to one subscription: sent until a 2xx answer, retried with backoff, then dead-lettered."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="deliveries")
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        permissions = [("redeliver_delivery", "Can redeliver a webhook delivery")]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="webhooks_delivery_once_per_subscription"),
            models.CheckConstraint(
                condition=Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__isnull=False)
                | Q(status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.DEAD], next_attempt_at__isnull=True),
                name="webhooks_delivery_open_iff_scheduled",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.DELIVERED) | Q(delivered_at__isnull=False),
                name="webhooks_delivery_delivered_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhooks_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event.event_type} → {self.subscription}"

    def get_absolute_url(self) -> str:
        return reverse("webhooks:delivery", kwargs={"pk": self.pk})

    def envelope(self) -> dict:
        """Exactly what was (or will be) sent to this delivery's subscription."""
        return self.event.envelope(subscription=self.subscription)


class DeliveryAttempt(models.Model):
    """One POST of a delivery: when, how long, what came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("webhook delivery attempt")
        verbose_name_plural = _("webhook delivery attempts")
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhooks_attempt_number_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error[:40]}"
