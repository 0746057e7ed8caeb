"""Alert and mention metrics for ``/metrics`` (registered in ``IncidentsConfig.ready()``)."""

from django.db.models import Count, Q
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from incidents.listening.models import Alert, Mention


def alerts(now):
    """Alerts fired since the start (a counter read from the table) and the ones nobody handled yet."""
    row = Alert.objects.aggregate(fired=Count("id"), unhandled=Count("id", filter=Q(handled_at__isnull=True)))
    fired = CounterMetricFamily("crisisdesk_alerts_fired", "Spike alerts fired (rows in the alert log).")
    fired.add_metric([], row["fired"])
    unhandled = GaugeMetricFamily("crisisdesk_alerts_unhandled", "Spike alerts nobody has handled yet.")
    unhandled.add_metric([], row["unhandled"])
    return [fired, unhandled]


def mentions(now):
    """Mentions ingested, per platform and per way in (API, CSV import, feed…)."""
    family = CounterMetricFamily(
        "crisisdesk_mentions_ingested",
        "Mentions stored, per platform and per source they were received through.",
        labels=["platform", "source"],
    )
    rows = Mention.objects.values("platform", "source").annotate(total=Count("id")).order_by("platform", "source")
    for row in rows:
        family.add_metric([row["platform"], row["source"] or "unknown"], row["total"])
    return [family]
