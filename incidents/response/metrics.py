"""Response-clock metrics for ``/metrics`` (registered in ``IncidentsConfig.ready()``)."""

from prometheus_client.core import GaugeMetricFamily

from incidents.models import Incident
from incidents.response.clocks import response_boards


def response_clocks(now):
    """Active incidents with an overdue response clock, as the dashboard computes them (three queries)."""
    family = GaugeMetricFamily(
        "crisisdesk_response_clocks_overdue",
        "Active incidents with at least one overdue response clock (acknowledge, first response, update).",
        labels=["exercise"],
    )
    incidents = list(Incident.objects.active())
    boards = response_boards(incidents, now=now)
    counts = {False: 0, True: 0}
    for incident in incidents:
        if boards[incident.pk].overdue:
            counts[incident.is_exercise] += 1
    family.add_metric(["false"], counts[False])
    family.add_metric(["true"], counts[True])
    return [family]
