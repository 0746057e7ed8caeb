"""Observability: the Prometheus ``/metrics`` endpoint, the Celery heartbeat behind ``/healthz``, Sentry.

- ``metrics``: a scrape-time collector reading the product's numbers from the database (one
  aggregate query per family), behind a bearer token and/or an IP allow-list;
- ``registry``: the metric providers; the kernel's own (review queue, outbox, heartbeats) are
  built in, the apps add theirs from ``AppConfig.ready()`` (the kernel imports no app);
- ``heartbeat``: the ``crisisdesk.heartbeat`` task beat schedules every minute, and the ages
  ``/healthz`` reports;
- ``sentry``: optional error reporting, initialised from settings when ``SENTRY_DSN`` is set.
"""
