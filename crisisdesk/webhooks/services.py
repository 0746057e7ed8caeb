"""Every write to webhooks: the outbox (``emit``), sending a delivery, the sweep, subscriptions.

``emit`` is called by other apps' services inside their own transaction: the event
and its deliveries commit or roll back with the change they report, and the
delivery tasks are enqueued only after the commit. A worker then sends each
delivery with its row locked, logs the attempt, and on failure schedules the next
one with exponential backoff and jitter until the retry limit dead-letters it.
Delivery is at least once; receivers deduplicate on the event id (``webhook-id``).
"""

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit.services import audit_record
from crisisdesk.exceptions import InvalidTransition

from . import events, permissions, signing
from .models import (
    OPEN_STATUSES,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    OutboxEvent,
    Subscription,
    generate_secret,
)

logger = logging.getLogger(__name__)

# Retries due sooner than this are enqueued with a countdown (the worker holds the message
# until then); later ones are left to the beat sweep. It must stay well below the broker's
# visibility timeout, or Redis would hand the waiting message to a second worker.
COUNTDOWN_MAX_SECONDS = 600
# How much of a failed response's body is kept as the error (a receiver's message).
ERROR_BODY_BYTES = 300
SWEEP_BATCH = 500


# --- the outbox ---------------------------------------------------------------------------


# Called by ``emit`` inside its transaction, for every event, exercises included, with
# ``event`` None when no outbox row was written (an exercise). Filled by other kernel apps
# in their ``ready()`` (``crisisdesk.chat`` fans out to chat destinations): webhooks imports none of them.
OUTBOX_LISTENERS: list = []


def emit(*, event_type: str, payload: dict, incident=None) -> OutboxEvent | None:
    """Record an event and its deliveries in the caller's transaction; enqueue them after it commits.

    Exercise incidents emit no webhook (drills never leave the building); the outbox
    listeners still hear of them (chat sends them prefixed "[EXERCISE]"). A confidential
    incident's events go only to subscriptions flagged ``include_confidential``.
    Returns the event, or None when nothing was recorded.
    """
    if not events.is_registered(event_type):
        # A programming error: fail the caller's tests rather than silently send nothing.
        raise ValueError(f"Unknown webhook event type {event_type!r}; register it in crisisdesk/webhooks/events.py")
    exercise = bool(incident is not None and incident.is_exercise)
    confidential = bool(incident is not None and incident.confidential)
    if exercise and not OUTBOX_LISTENERS:
        return None
    # A savepoint when the caller has a transaction (the usual case), a transaction when not:
    # the event never exists without its deliveries.
    with transaction.atomic():
        event = None if exercise else _record_event(event_type, payload, incident, confidential)
        for listener in OUTBOX_LISTENERS:
            listener(
                event_type=event_type,
                payload=payload,
                incident=incident,
                event=event,
                confidential=confidential,
                exercise=exercise,
            )
    return event


def _record_event(event_type: str, payload: dict, incident, confidential: bool) -> OutboxEvent:
    now = timezone.now()
    event = OutboxEvent.objects.create(
        event_type=event_type, payload=payload, incident=incident, confidential=confidential, created_at=now
    )
    subscriptions = [s for s in Subscription.objects.active() if s.wants(event_type, confidential=confidential)]
    deliveries = Delivery.objects.bulk_create(
        [Delivery(event=event, subscription=s, next_attempt_at=now) for s in subscriptions]
    )
    delivery_ids = [delivery.pk for delivery in deliveries]
    if delivery_ids:
        transaction.on_commit(partial(enqueue_deliveries, delivery_ids))
    return event


def _eager() -> bool:
    from crisisdesk.celery import app

    return bool(app.conf.task_always_eager)


def enqueue_deliveries(delivery_ids: list[int], *, countdown: float | None = None) -> None:
    """Queue one delivery task per id. Runs them inline when tasks are eager (no broker)."""
    from .tasks import deliver_webhook

    enqueue_tasks(deliver_webhook, delivery_ids, countdown=countdown, what="webhook delivery")


def enqueue_tasks(task, ids: list[int], *, countdown: float | None = None, what: str = "delivery") -> None:
    """Queue ``task(id)`` per id (shared by every outbox consumer). Runs them inline when tasks are eager."""
    for delivery_id in ids:
        if _eager():
            # Inline: errors propagate (tests see them). An eager countdown would not wait, so
            # a scheduled retry is never run inline; the sweep or a redelivery sends it.
            if countdown is None:
                task.apply_async(args=[delivery_id])
            continue
        try:
            task.apply_async(args=[delivery_id], countdown=countdown)
        except Exception:  # noqa: BLE001 - broker down: the delivery row is committed, the sweep enqueues it later
            logger.warning("Could not enqueue %s %s; the sweep will retry it.", what, delivery_id, exc_info=True)


# --- sending ---------------------------------------------------------------------------------


@dataclass
class AttemptResult:
    """What one POST gave: a 2xx, another status, or a transport error (no status)."""

    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def request_body(event: OutboxEvent, *, subscription: Subscription | None = None) -> bytes:
    """The exact bytes that are signed and sent (compact JSON, UTF-8), as ``subscription`` receives them."""
    envelope = event.envelope(subscription=subscription)
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def post(*, url: str, secret: str, event: OutboxEvent, subscription: Subscription | None = None) -> AttemptResult:
    """POST one signed event; never raises for a network or HTTP failure, and never follows redirects.

    With a ``subscription``, the payload is the one it may receive (redacted unless it is
    flagged ``include_internal_drafts``); ``delivery_attempt`` always passes it.
    """
    started_at = timezone.now()
    body = request_body(event, subscription=subscription)
    headers = signing.headers(secret=secret, msg_id=str(event.id), timestamp=int(started_at.timestamp()), body=body)
    clock = time.monotonic()
    status_code = None
    try:
        # stream=True: read at most ERROR_BODY_BYTES of the answer, however much the receiver sends.
        with requests.post(
            url,
            data=body,
            headers=headers,
            timeout=(settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_READ_TIMEOUT),
            allow_redirects=False,
            stream=True,
        ) as response:
            status_code = response.status_code
            if 200 <= status_code < 300:
                error = ""
            else:
                excerpt = response.raw.read(ERROR_BODY_BYTES, decode_content=True) or b""
                error = f"HTTP {status_code}: {excerpt.decode('utf-8', 'replace').strip()}".strip()
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    duration_ms = int((time.monotonic() - clock) * 1000)
    return AttemptResult(started_at=started_at, duration_ms=duration_ms, status_code=status_code, error=error)


def retry_delay(failures: int, *, rng: random.Random | None = None) -> timedelta:
    """Wait after the ``failures``-th failure in a row: exponential, capped, with "equal jitter".

    Half of the exponential step is fixed, the other half random, so receivers coming
    back from an outage are not hit by every retry at the same instant, and no retry
    comes sooner than half its step.
    """
    rng = rng or random
    step = min(settings.WEBHOOK_RETRY_MAX_SECONDS, settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(failures - 1, 0))
    return timedelta(seconds=step / 2 + rng.uniform(0, step / 2))


def _lock_delivery(delivery_id: int) -> Delivery | None:
    """The delivery with its row locked, or None when another worker holds it right now.

    SKIP LOCKED: two workers handed the same delivery (a retry message and a sweep's, or
    a message redelivered after a worker died) never send it at the same time; the
    second one returns at once instead of waiting to send it again.
    """
    queryset = Delivery.objects.select_related("event", "subscription")
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset.filter(pk=delivery_id).first()


def delivery_attempt(*, delivery_id: int) -> str:
    """Send one delivery if it is still due; log the attempt and decide what comes next.

    Idempotent: a delivered, dead, not-yet-due or locked delivery is left alone, so a
    duplicate task message costs one query. The row lock is held while sending: if the
    worker dies mid-POST, the database drops the lock with the connection and the
    delivery is still open for the next worker (the receiver may then see the event
    twice, and deduplicates on its id).
    """
    with transaction.atomic():
        delivery = _lock_delivery(delivery_id)
        if delivery is None:
            exists = Delivery.objects.filter(pk=delivery_id).exists()
            return "locked" if exists else "missing"
        now = timezone.now()
        if delivery.status not in OPEN_STATUSES:
            return "done"
        if delivery.next_attempt_at > now:
            return "not_due"
        subscription = delivery.subscription
        if not subscription.is_active:
            delivery.status = DeliveryStatus.DEAD
            delivery.next_attempt_at = None
            delivery.last_error = _("The subscription was deactivated before this delivery was sent.")
            delivery.save(update_fields=["status", "next_attempt_at", "last_error"])
            return DeliveryStatus.DEAD
        result = post(url=subscription.url, secret=subscription.secret, event=delivery.event, subscription=subscription)
        outcome = _record(delivery, result)
    logger.info(
        "Webhook delivery %s (%s %s) to subscription %s at %s: %s after %s ms%s",
        delivery.pk,
        delivery.event.event_type,
        delivery.event_id,
        subscription.pk,
        urlsplit(subscription.url).netloc,
        outcome,
        result.duration_ms,
        f" ({result.error})" if result.error else "",
    )
    return outcome


def _record(delivery: Delivery, result: AttemptResult) -> str:
    delivery.attempts += 1
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        started_at=result.started_at,
        duration_ms=result.duration_ms,
        status_code=result.status_code,
        error=result.error,
        succeeded=result.succeeded,
    )
    delivery.last_status_code = result.status_code
    settle(
        delivery,
        started_at=result.started_at,
        error=result.error,
        succeeded=result.succeeded,
        enqueue=enqueue_deliveries,
    )
    delivery.save(update_fields=[*SETTLED_FIELDS, "last_status_code"])
    return delivery.status


# What ``settle`` writes on a delivery row (webhook or chat: the same status fields).
SETTLED_FIELDS = ("attempts", "failures", "status", "next_attempt_at", "last_attempt_at", "last_error", "delivered_at")


def settle(delivery, *, started_at: datetime, error: str, succeeded: bool, enqueue) -> None:
    """Apply one attempt's outcome to an outbox delivery row (webhook or chat); the caller saves it.

    Delivered; or retried after ``retry_delay`` (its message enqueued on commit with
    ``enqueue(ids, countdown=…)`` when due soon, else left to the sweep); or dead after
    ``WEBHOOK_MAX_ATTEMPTS`` failures in a row.
    """
    delivery.last_attempt_at = started_at
    delivery.last_error = error
    if succeeded:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.failures = 0
        return
    delivery.failures += 1
    if delivery.failures >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.DEAD
        delivery.next_attempt_at = None
        return
    delay = retry_delay(delivery.failures)
    delivery.status = DeliveryStatus.RETRYING
    delivery.next_attempt_at = timezone.now() + delay
    if delay.total_seconds() <= COUNTDOWN_MAX_SECONDS:
        transaction.on_commit(partial(enqueue, [delivery.pk], countdown=delay.total_seconds()))


def sweep_due_deliveries(*, now: datetime | None = None, grace_seconds: int | None = None) -> int:
    """Enqueue deliveries overdue by more than the grace period: their message was lost (broker down, worker killed).

    Run by beat every ``WEBHOOK_SWEEP_SECONDS``. A duplicate of a message still in
    the queue is harmless: the task skips a delivery that is no longer due or is locked.
    """
    delivery_ids = overdue_ids(Delivery.objects, now=now, grace_seconds=grace_seconds)
    if delivery_ids:
        logger.info("Webhook sweep: enqueueing %s overdue deliveries.", len(delivery_ids))
    enqueue_deliveries(delivery_ids)
    return len(delivery_ids)


def overdue_ids(manager, *, now: datetime | None = None, grace_seconds: int | None = None) -> list[int]:
    """Ids of open rows of ``manager`` (a manager with ``due(cutoff)``) overdue by more than the sweep's grace."""
    now = now or timezone.now()
    grace = settings.WEBHOOK_SWEEP_GRACE_SECONDS if grace_seconds is None else grace_seconds
    cutoff = now - timedelta(seconds=grace)
    return list(manager.due(cutoff).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:SWEEP_BATCH])


@transaction.atomic
def delivery_redeliver(*, actor, delivery: Delivery) -> Delivery:
    """Send a dead or failing delivery again now, with a fresh retry budget."""
    if not permissions.can_redeliver(actor):
        raise PermissionDenied(_("Only a team lead may redeliver webhooks."))
    # Waits while a worker is sending it, then sees that attempt's outcome.
    delivery = Delivery.objects.select_for_update().select_related("subscription", "event").get(pk=delivery.pk)
    if not Delivery.objects.visible_to(actor).filter(pk=delivery.pk).exists():
        raise PermissionDenied(_("You may not see this delivery."))
    reopen(
        delivery,
        target_active=delivery.subscription.is_active,
        inactive_message=_("Activate the subscription first."),
        enqueue=enqueue_deliveries,
    )
    logger.info("Webhook delivery %s redelivered by %s.", delivery.pk, actor.get_username())
    return delivery


def reopen(delivery, *, target_active: bool, inactive_message: str, enqueue) -> None:
    """A dead or failing delivery (webhook or chat) is due again now, with a fresh retry budget.

    The caller has locked the row and checked who may do this; ``enqueue(ids)`` runs after commit.
    """
    if not delivery.can_redeliver:
        raise InvalidTransition(
            _("Only a dead or failing delivery can be redelivered; this one is %s.")
            % DeliveryStatus(delivery.status).label,
            current=delivery.status,
        )
    if not target_active:
        raise InvalidTransition(inactive_message, current=delivery.status)
    delivery.status = DeliveryStatus.PENDING
    delivery.failures = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "failures", "next_attempt_at"])
    transaction.on_commit(partial(enqueue, [delivery.pk]))


# --- subscriptions ----------------------------------------------------------------------------

SUBSCRIPTION_FIELDS = ("name", "url", "event_types", "is_active", "include_confidential", "include_internal_drafts")


def _clean_event_types(event_types) -> list[str]:
    if not isinstance(event_types, (list, tuple)):
        raise ValidationError({"event_types": _("Expected a list of event types.")})
    unknown = [code for code in event_types if not events.is_registered(code)]
    if unknown:
        raise ValidationError({"event_types": _("Unknown event type(s): %s") % ", ".join(map(str, unknown))})
    if not event_types:
        raise ValidationError({"event_types": _("Choose at least one event type.")})
    # Registry order, no duplicates.
    return [code for code in events.EVENT_TYPES if code in event_types]


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise ValidationError({"url": _("Enter an http:// or https:// URL.")}) from exc
    return url


def _validate(changes: dict) -> None:
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise ValidationError({"name": _("Give the subscription a name.")})
    if "url" in changes:
        changes["url"] = _clean_url(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = _clean_event_types(changes["event_types"])


@transaction.atomic
def subscription_create(
    *,
    actor,
    name: str,
    url: str,
    event_types: list[str],
    is_active: bool = True,
    include_confidential: bool = False,
    include_internal_drafts: bool = False,
) -> Subscription:
    """Subscribe an endpoint to event types; its signing secret is generated here."""
    if not permissions.can_create(actor):
        raise PermissionDenied(_("Only a team lead may manage webhooks."))
    if include_confidential and not permissions.can_set_confidential(actor):
        raise PermissionDenied(_("Only an administrator may send confidential incidents' events outside."))
    if include_internal_drafts and not permissions.can_set_internal_drafts(actor):
        raise PermissionDenied(_("Only an administrator may send unpublished statements' words to an endpoint."))
    changes = {"name": name, "url": url, "event_types": event_types}
    _validate(changes)
    subscription = Subscription(
        **changes,
        is_active=is_active,
        include_confidential=include_confidential,
        include_internal_drafts=include_internal_drafts,
        created_by=actor,
    )
    subscription.full_clean()
    subscription.save()
    logger.info("Webhook subscription %s created by %s.", subscription.pk, actor.get_username())
    return subscription


@transaction.atomic
def subscription_update(*, actor, subscription: Subscription, **changes) -> Subscription:
    """Change a subscription's name, URL, event types, active flag, confidential or internal-drafts flag."""
    unknown = set(changes) - set(SUBSCRIPTION_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be edited here.") for field in unknown})
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if not permissions.can_manage(actor, subscription):
        raise PermissionDenied(_("You may not change this webhook subscription."))
    if changes.get("include_confidential") and not permissions.can_set_confidential(actor):
        raise PermissionDenied(_("Only an administrator may send confidential incidents' events outside."))
    if changes.get("include_internal_drafts") and not permissions.can_set_internal_drafts(actor):
        raise PermissionDenied(_("Only an administrator may send unpublished statements' words to an endpoint."))
    _validate(changes)
    changed = [field for field, value in changes.items() if getattr(subscription, field) != value]
    if not changed:
        return subscription
    for field in changed:
        setattr(subscription, field, changes[field])
    subscription.full_clean()
    subscription.save(update_fields=[*changed, "updated_at"])
    logger.info("Webhook subscription %s changed by %s: %s.", subscription.pk, actor.get_username(), changed)
    return subscription


def subscription_set_active(*, actor, subscription: Subscription, active: bool) -> Subscription:
    """Pause (deliveries still open are dead-lettered when their turn comes) or resume a subscription."""
    return subscription_update(actor=actor, subscription=subscription, is_active=active)


@transaction.atomic
def subscription_rotate_secret(*, actor, subscription: Subscription) -> Subscription:
    """Replace the signing secret (the old one stops working at once)."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if not permissions.can_manage(actor, subscription):
        raise PermissionDenied(_("You may not change this webhook subscription."))
    subscription.secret = generate_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    # Never the secrets themselves: that it changed, by whom and when.
    audit_record(actor=actor, action="webhook.rotate_secret", target=subscription)
    logger.info("Webhook subscription %s: secret rotated by %s.", subscription.pk, actor.get_username())
    return subscription
