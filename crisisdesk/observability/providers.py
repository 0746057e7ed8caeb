"""The kernel's metric providers: review queue, outbox backlog and dead letters, heartbeats.

Each reads one aggregate query (the heartbeats one cache round trip), whatever the number of rows.
"""

from datetime import datetime

from django.db.models import Count, Min, Q
from prometheus_client.core import GaugeMetricFamily

from crisisdesk.chat.models import ChatDelivery
from crisisdesk.observability import heartbeat
from crisisdesk.review.models import ReviewRequest, ReviewRequestStatus
from crisisdesk.webhooks.models import OPEN_STATUSES, Delivery, DeliveryStatus


def age_seconds(now: datetime, since: datetime | None) -> float:
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0


def review_queue(now: datetime):
    """Open review rounds and the oldest one's wait, per kind of item (``incidents.statement``…)."""
    size = GaugeMetricFamily(
        "crisisdesk_review_queue_size", "Review rounds waiting for a decision, per kind of item.", labels=["kind"]
    )
    oldest = GaugeMetricFamily(
        "crisisdesk_review_queue_oldest_wait_seconds",
        "How long the oldest open review round has waited, per kind of item (0 when none waits).",
        labels=["kind"],
    )
    rows = (
        ReviewRequest.objects.filter(status=ReviewRequestStatus.OPEN)
        .values("content_type__app_label", "content_type__model")
        .annotate(size=Count("id"), oldest=Min("submitted_at"))
        .order_by("content_type__app_label", "content_type__model")
    )
    for row in rows:
        kind = f"{row['content_type__app_label']}.{row['content_type__model']}"
        size.add_metric([kind], row["size"])
        oldest.add_metric([kind], age_seconds(now, row["oldest"]))
    return [size, oldest]


def outbox(now: datetime):
    """Webhook and chat deliveries: backlog (not yet sent), its oldest age, retrying, dead letters."""
    backlog = GaugeMetricFamily(
        "crisisdesk_outbox_backlog", "Deliveries not sent yet (pending or retrying), per channel.", labels=["channel"]
    )
    oldest = GaugeMetricFamily(
        "crisisdesk_outbox_oldest_age_seconds",
        "Age of the oldest delivery not sent yet, per channel (0 when the outbox is empty).",
        labels=["channel"],
    )
    retrying = GaugeMetricFamily(
        "crisisdesk_delivery_retrying", "Deliveries whose last attempt failed and will be retried.", labels=["channel"]
    )
    dead = GaugeMetricFamily(
        "crisisdesk_delivery_dead_letters",
        "Deliveries given up after the last retry (dead letters), per channel; a redelivery lowers it.",
        labels=["channel"],
    )
    for channel, model in (("webhook", Delivery), ("chat", ChatDelivery)):
        row = model.objects.aggregate(
            backlog=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            oldest=Min("created_at", filter=Q(status__in=OPEN_STATUSES)),
            retrying=Count("id", filter=Q(status=DeliveryStatus.RETRYING)),
            dead=Count("id", filter=Q(status=DeliveryStatus.DEAD)),
        )
        backlog.add_metric([channel], row["backlog"])
        oldest.add_metric([channel], age_seconds(now, row["oldest"]))
        retrying.add_metric([channel], row["retrying"])
        dead.add_metric([channel], row["dead"])
    return [backlog, oldest, retrying, dead]


def heartbeats(now: datetime):
    """Seconds since a worker ran the heartbeat task, and since beat published it (absent: never seen)."""
    family = GaugeMetricFamily(
        "crisisdesk_heartbeat_age_seconds",
        "Seconds since the Celery process was last seen (worker: ran the heartbeat task; beat: published it).",
        labels=["process"],
    )
    if heartbeat.in_process():
        return [family]
    for process, seen in heartbeat.last_seen(now).items():
        if seen is not None:
            family.add_metric([process], age_seconds(now, seen))
    return [family]


KERNEL_PROVIDERS = (review_queue, outbox, heartbeats)
