"""Optional Sentry error reporting, initialised from settings when ``SENTRY_DSN`` is set.

Imported by ``crisisdesk/settings.py`` before Django is set up: nothing here touches Django.
``sentry_sdk`` is imported only when a DSN is configured. Personal data stays out: the SDK's
default, ``send_default_pii`` unset, means no user, cookies, auth headers or request bodies
(sentry-sdk 2.75 deprecates passing ``send_default_pii`` at all in favour of ``data_collection``,
so it is left unset rather than passed as ``False``; the test checks nothing personal is sent).
Tracing is off unless ``SENTRY_TRACES_SAMPLE_RATE`` (0 to 1) says otherwise. Environment variables read:

- ``SENTRY_DSN`` — where events go; unset or empty: Sentry stays off;
- ``SENTRY_TRACES_SAMPLE_RATE`` — share of requests and tasks traced, default 0;
- ``SENTRY_ENVIRONMENT`` — e.g. ``production``, ``staging`` (default ``production``);
- ``SENTRY_RELEASE`` — the deployed version, when known.
"""

from collections.abc import Mapping


def sentry_options(environ: Mapping[str, str]) -> dict | None:
    """The ``sentry_sdk.init`` options from the environment, or None when ``SENTRY_DSN`` is not set."""
    dsn = (environ.get("SENTRY_DSN") or "").strip()
    if not dsn:
        return None
    try:
        rate = float(environ.get("SENTRY_TRACES_SAMPLE_RATE") or 0)
    except ValueError as error:
        raise ValueError("SENTRY_TRACES_SAMPLE_RATE must be a number between 0 and 1.") from error
    if not 0 <= rate <= 1:
        raise ValueError("SENTRY_TRACES_SAMPLE_RATE must be a number between 0 and 1.")
    options = {
        "dsn": dsn,
        "traces_sample_rate": rate,
        "environment": (environ.get("SENTRY_ENVIRONMENT") or "production").strip(),
    }
    if environ.get("SENTRY_RELEASE"):
        options["release"] = environ["SENTRY_RELEASE"].strip()
    return options


def init_sentry(options: dict):
    """Start the Sentry client with the Django and Celery integrations; returns `sentry_sdk.init`'s guard."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    return sentry_sdk.init(integrations=[DjangoIntegration(), CeleryIntegration()], **options)
