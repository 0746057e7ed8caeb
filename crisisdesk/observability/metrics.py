"""``/metrics``: Prometheus text exposition of the product's numbers and of this process.

Off unless configured: with neither ``CRISISDESK_METRICS_TOKEN`` nor ``CRISISDESK_METRICS_ALLOW``
set the URL answers 404 like any unknown page. With an allow-list (comma-separated CIDRs, matched
against ``REMOTE_ADDR``) any other address gets a 404 too; with a token, a request without
``Authorization: Bearer <token>`` (or with another one) gets a 403. Both set: both must pass.

The product metrics are computed at scrape time by ``ProductCollector`` from the database (the
providers of ``crisisdesk.observability.registry``, a fixed number of aggregate queries), so every
gunicorn worker answers the same numbers and no multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``)
is needed; the process metrics (CPU, memory, file descriptors, GC) are those of the worker that
answered the scrape.
"""

import hmac
import ipaddress
import logging
import time

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from crisisdesk.observability.registry import registered_providers

logger = logging.getLogger(__name__)


class ProductCollector:
    """Reads every registered provider at each scrape; a failing provider is logged and counted, not fatal."""

    def collect(self):
        now = timezone.now()
        started = time.monotonic()
        errors = GaugeMetricFamily(
            "crisisdesk_metrics_provider_errors",
            "Metric providers that failed during this scrape (see the server log).",
        )
        failed = 0
        for provider in registered_providers():
            try:
                families = list(provider(now))
            except Exception:  # noqa: BLE001 — one broken provider must not hide the others
                failed += 1
                logger.exception("Metric provider %s failed", getattr(provider, "__qualname__", provider))
                continue
            yield from families
        errors.add_metric([], failed)
        yield errors
        yield GaugeMetricFamily(
            "crisisdesk_metrics_collect_seconds",
            "Time spent reading the product metrics for this scrape.",
            value=time.monotonic() - started,
        )

    def describe(self):
        # Nothing to describe up front: the families depend on the registered providers.
        return []


def build_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    registry.register(ProductCollector())
    return registry


REGISTRY = build_registry()


def allowed_networks() -> list:
    networks = []
    for item in getattr(settings, "CRISISDESK_METRICS_ALLOW", []) or []:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            logger.warning("CRISISDESK_METRICS_ALLOW: %r is not an address or network; ignored", item)
    return networks


def address_allowed(request, networks) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in networks)


def token_matches(request, token: str) -> bool:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return False
    return hmac.compare_digest(presented.strip().encode(), token.encode())


def refusal(request) -> int | None:
    """404 when metrics are off or the address is not allowed, 403 for a missing or wrong token, else None."""
    token = getattr(settings, "CRISISDESK_METRICS_TOKEN", "") or ""
    allow = getattr(settings, "CRISISDESK_METRICS_ALLOW", []) or []
    if not token and not allow:
        return 404
    if allow and not address_allowed(request, allowed_networks()):
        return 404
    if token and not token_matches(request, token):
        return 403
    return None


@never_cache
@require_GET
def metrics(request):
    """The Prometheus text exposition format (``CONTENT_TYPE_LATEST``)."""
    status = refusal(request)
    if status == 404:
        raise Http404
    if status == 403:
        response = HttpResponseForbidden(b"Forbidden\n", content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
