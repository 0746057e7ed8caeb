"""Every write to chat: fan-out from the outbox, sending a delivery with Apprise, the sweep, destinations.

``fan_out`` is an outbox listener (registered in ``ChatConfig.ready``): ``emit`` calls it
inside the caller's transaction, so deliveries commit or roll back with the change they
report, and their tasks are enqueued only after the commit. A worker sends each one with
its row locked, logs the attempt, and on failure schedules the next with the webhooks'
backoff (``WEBHOOK_RETRY_*``) until ``WEBHOOK_MAX_ATTEMPTS`` dead-letters it.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit.services import audit_record
from crisisdesk.webhooks import events
from crisisdesk.webhooks import services as outbox
from crisisdesk.webhooks.models import OPEN_STATUSES, DeliveryStatus

from . import messages, permissions, secrets
from .models import ChatAttempt, ChatDelivery, Destination

logger = logging.getLogger(__name__)
ERROR_MAX = 1000


# --- fan-out from the outbox -------------------------------------------------------------------


def fan_out(*, event_type: str, payload: dict, incident, event, confidential: bool, exercise: bool) -> list[int]:
    """One delivery per matching destination, in the caller's transaction; enqueued after the commit."""
    severity = incident.severity if incident is not None else None
    destinations = [
        d for d in Destination.objects.active() if d.wants(event_type, confidential=confidential, severity=severity)
    ]
    if not destinations:
        return []
    message = messages.render(event_type=event_type, payload=payload, exercise=exercise)
    now = timezone.now()
    deliveries = ChatDelivery.objects.bulk_create(
        [
            ChatDelivery(
                destination=destination,
                event=event,
                event_type=event_type,
                incident=incident,
                title=message.title,
                body=message.body,
                next_attempt_at=now,
            )
            for destination in destinations
        ]
    )
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(partial(enqueue_chat_deliveries, ids))
    return ids


def enqueue_chat_deliveries(ids: list[int], *, countdown: float | None = None) -> None:
    from .tasks import deliver_chat

    outbox.enqueue_tasks(deliver_chat, ids, countdown=countdown, what="chat delivery")


# --- sending -----------------------------------------------------------------------------------


@dataclass
class NotifyResult:
    started_at: datetime
    duration_ms: int
    error: str

    @property
    def succeeded(self) -> bool:
        return not self.error


def notify(*, url: str, title: str, body: str) -> NotifyResult:
    """Send one message with Apprise; never raises. The error is what Apprise logged (it hides tokens)."""
    started_at = timezone.now()
    clock = time.monotonic()
    error = ""
    import apprise  # here, not at start-up: 1.8 MiB in every web worker that never sends a chat message

    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        error = _("Apprise does not recognise this URL.")
    else:
        plugin.socket_connect_timeout = settings.WEBHOOK_CONNECT_TIMEOUT
        plugin.socket_read_timeout = settings.WEBHOOK_READ_TIMEOUT
        sender = apprise.Apprise()
        sender.add(plugin)
        try:
            with apprise.LogCapture(level=logging.WARNING) as log:
                sent = sender.notify(title=title, body=body)
            if not sent:
                error = (log.getvalue().strip() or _("Apprise reported a failure."))[-ERROR_MAX:]
        except Exception as exc:  # noqa: BLE001 - a plugin bug must become a failed attempt, not a lost delivery
            error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
    duration_ms = int((time.monotonic() - clock) * 1000)
    return NotifyResult(started_at=started_at, duration_ms=duration_ms, error=error)


def _lock(delivery_id: int) -> ChatDelivery | None:
    """The delivery with its row locked, or None when another worker holds it (SKIP LOCKED, as webhooks)."""
    queryset = ChatDelivery.objects.select_related("destination")
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset.filter(pk=delivery_id).first()


def chat_delivery_attempt(*, delivery_id: int) -> str:
    """Send one delivery if still due; log the attempt and decide what comes next. Idempotent."""
    with transaction.atomic():
        delivery = _lock(delivery_id)
        if delivery is None:
            return "locked" if ChatDelivery.objects.filter(pk=delivery_id).exists() else "missing"
        if delivery.status not in OPEN_STATUSES:
            return "done"
        if delivery.next_attempt_at > timezone.now():
            return "not_due"
        destination = delivery.destination
        if not destination.is_active:
            delivery.status = DeliveryStatus.DEAD
            delivery.next_attempt_at = None
            delivery.last_error = _("The destination was deactivated before this message was sent.")
            delivery.save(update_fields=["status", "next_attempt_at", "last_error"])
            return DeliveryStatus.DEAD
        try:
            url = destination.apprise_url()
        except secrets.SecretUnavailable as exc:
            result = NotifyResult(started_at=timezone.now(), duration_ms=0, error=str(exc))
        else:
            result = notify(url=url, title=delivery.title, body=delivery.body)
        outcome = _record(delivery, result)
    logger.info(
        "Chat delivery %s (%s) to destination %s at %s: %s after %s ms%s",
        delivery.pk,
        delivery.event_type,
        destination.pk,
        destination.url_masked,
        outcome,
        result.duration_ms,
        f" ({result.error})" if result.error else "",
    )
    return outcome


def _record(delivery: ChatDelivery, result: NotifyResult) -> str:
    delivery.attempts += 1
    ChatAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        started_at=result.started_at,
        duration_ms=result.duration_ms,
        error=result.error,
        succeeded=result.succeeded,
    )
    # The webhooks' outcome rules: delivered, retried with backoff, or dead after WEBHOOK_MAX_ATTEMPTS.
    outbox.settle(
        delivery,
        started_at=result.started_at,
        error=result.error,
        succeeded=result.succeeded,
        enqueue=enqueue_chat_deliveries,
    )
    delivery.save(update_fields=list(outbox.SETTLED_FIELDS))
    return delivery.status


def sweep_due_chat_deliveries(*, now: datetime | None = None, grace_seconds: int | None = None) -> int:
    """Beat: enqueue chat deliveries whose message was lost (same grace and batch as the webhook sweep)."""
    ids = outbox.overdue_ids(ChatDelivery.objects, now=now, grace_seconds=grace_seconds)
    if ids:
        logger.info("Chat sweep: enqueueing %s overdue deliveries.", len(ids))
    enqueue_chat_deliveries(ids)
    return len(ids)


@transaction.atomic
def chat_delivery_redeliver(*, actor, delivery: ChatDelivery) -> ChatDelivery:
    """Send a dead or failing chat delivery again now, with a fresh retry budget."""
    delivery = ChatDelivery.objects.select_for_update().select_related("destination").get(pk=delivery.pk)
    if not ChatDelivery.objects.visible_to(actor).filter(pk=delivery.pk).exists():
        raise PermissionDenied(_("You may not see this delivery."))
    if not permissions.can_manage(actor, delivery.destination):
        raise PermissionDenied(_("You may not change this chat destination."))
    outbox.reopen(
        delivery,
        target_active=delivery.destination.is_active,
        inactive_message=_("Activate the destination first."),
        enqueue=enqueue_chat_deliveries,
    )
    logger.info("Chat delivery %s redelivered by %s.", delivery.pk, actor.get_username())
    return delivery


# --- destinations ------------------------------------------------------------------------------

DESTINATION_FIELDS = ("name", "url", "event_types", "min_severity", "is_active", "include_confidential")


def clean_url(url: str) -> str:
    """An Apprise URL Apprise accepts, or ``env:NAME``; else a ValidationError on ``url``."""
    url = (url or "").strip()
    if secrets.is_reference(url):
        if not secrets.ENV_NAME.match(secrets.reference_name(url)):
            raise ValidationError({"url": _("Write a reference as env:NAME (capital letters, digits, underscores).")})
        return f"{secrets.ENV_PREFIX}{secrets.reference_name(url)}"
    import apprise

    if not url or len(url) > 2000 or not apprise.Apprise().add(url):
        raise ValidationError({"url": _("Apprise does not recognise this URL (e.g. mmost://host/token, mailto://…).")})
    return url


def _clean(changes: dict) -> None:
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise ValidationError({"name": _("Give the destination a name.")})
    if "url" in changes:
        changes["url"] = clean_url(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = outbox._clean_event_types(changes["event_types"])
    if "min_severity" in changes and changes["min_severity"] not in (1, 2, 3, 4):
        raise ValidationError({"min_severity": _("Severity must be between 1 (critical) and 4 (low).")})


def _require_confidential(actor, value) -> None:
    if value and not permissions.can_set_confidential(actor):
        raise PermissionDenied(_("Only an administrator may send confidential incidents' events outside."))


@transaction.atomic
def destination_create(
    *,
    actor,
    name: str,
    url: str,
    event_types: list[str],
    min_severity: int = 4,
    is_active: bool = True,
    include_confidential: bool = False,
) -> Destination:
    """Add a chat destination; the URL is validated with Apprise and stored encrypted (or as a reference)."""
    if not permissions.can_create(actor):
        raise PermissionDenied(_("Only a team lead may manage chat destinations."))
    _require_confidential(actor, include_confidential)
    changes = {"name": name, "url": url, "event_types": event_types, "min_severity": min_severity}
    _clean(changes)
    url = changes.pop("url")
    destination = Destination(
        **changes, is_active=is_active, include_confidential=include_confidential, created_by=actor
    )
    destination.set_url(url)
    destination.full_clean()
    destination.save()
    audit_record(actor=actor, action="chat.destination_create", target=destination)
    logger.info("Chat destination %s created by %s.", destination.pk, actor.get_username())
    return destination


@transaction.atomic
def destination_update(*, actor, destination: Destination, **changes) -> Destination:
    """Change a destination; ``url`` (write-only) replaces the stored one when given."""
    unknown = set(changes) - set(DESTINATION_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be edited here.") for field in unknown})
    destination = Destination.objects.select_for_update().get(pk=destination.pk)
    if not permissions.can_manage(actor, destination):
        raise PermissionDenied(_("You may not change this chat destination."))
    _require_confidential(actor, changes.get("include_confidential"))
    if "url" in changes and not changes["url"]:
        changes.pop("url")  # an empty write-only field keeps the stored URL
    _clean(changes)
    changed = []
    if "url" in changes:
        destination.set_url(changes.pop("url"))
        changed += ["url_secret", "url_masked"]
    changed += [field for field, value in changes.items() if getattr(destination, field) != value]
    if not changed:
        return destination
    for field, value in changes.items():
        setattr(destination, field, value)
    destination.full_clean()
    destination.save(update_fields=[*changed, "updated_at"])
    audit_record(actor=actor, action="chat.destination_update", target=destination, data={"changed": changed})
    logger.info("Chat destination %s changed by %s: %s.", destination.pk, actor.get_username(), changed)
    return destination


@transaction.atomic
def destination_delete(*, actor, destination: Destination) -> None:
    """Delete a destination and its delivery log (open deliveries are not sent)."""
    destination = Destination.objects.select_for_update().get(pk=destination.pk)
    if not permissions.can_delete(actor, destination):
        raise PermissionDenied(_("You may not delete this chat destination."))
    audit_record(actor=actor, action="chat.destination_delete", target=destination)
    logger.info("Chat destination %s deleted by %s.", destination.pk, actor.get_username())
    destination.delete()


def destination_test(*, actor, destination: Destination) -> ChatDelivery:
    """Queue a fixed test message to this destination (logged as a delivery, retried like any other)."""
    if not permissions.can_test(actor, destination):
        raise PermissionDenied(_("You may not test this chat destination."))
    message = messages.render(event_type=messages.TEST_EVENT, payload={})
    with transaction.atomic():
        delivery = ChatDelivery.objects.create(
            destination=destination,
            event_type=messages.TEST_EVENT,
            title=message.title,
            body=message.body,
            next_attempt_at=timezone.now(),
        )
        transaction.on_commit(partial(enqueue_chat_deliveries, [delivery.pk]))
    return delivery


def event_type_choices() -> list[tuple[str, str]]:
    return events.choices()
