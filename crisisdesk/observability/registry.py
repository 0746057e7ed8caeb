"""The metric providers read at every scrape of ``/metrics``.

A provider is a callable ``provider(now) -> iterable of prometheus_client Metric families``
(``GaugeMetricFamily``, ``CounterMetricFamily``). It runs at scrape time and reads the database:
keep it to a fixed number of aggregate queries, whatever the number of rows.

The kernel's providers (``crisisdesk.observability.providers``) are always there; an app adds
its own from ``AppConfig.ready()`` with ``register_metric_provider`` (``incidents`` registers
alerts, mentions and response clocks), as with the other registries of the kernel.
"""

from collections.abc import Callable, Iterable

MetricProvider = Callable[..., Iterable]

_providers: list[MetricProvider] = []


def register_metric_provider(provider: MetricProvider) -> None:
    """Add ``provider`` to every scrape; registering it twice is a no-op."""
    if provider not in _providers:
        _providers.append(provider)


def registered_providers() -> list[MetricProvider]:
    from crisisdesk.observability import providers

    return [*providers.KERNEL_PROVIDERS, *_providers]
