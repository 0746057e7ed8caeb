"""Sources the desk listens to itself: a connector kind, its configuration, credentials, cursor and health.

A source is polled by the worker (``incidents.poll_sources`` under beat), or streamed by
``manage.py listen``; either way its items reach the mention table only through
``incidents.listening.sources.services.source_record_batch``, which advances the cursor in the
same transaction. Credentials are stored encrypted (``crisisdesk.secretbox``) or as ``env:NAME``
references, and are never shown back nor logged.
"""

import json
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk import secretbox
from incidents.listening.models import WatchTerm

CREDENTIALS_PURPOSE = "crisisdesk.listening.source-credentials"


class SourceKind(models.TextChoices):
    BLUESKY_JETSTREAM = "bluesky_jetstream", _("Bluesky (Jetstream stream)")
    BLUESKY_SEARCH = "bluesky_search", _("Bluesky (post search)")
    MASTODON = "mastodon", _("Mastodon")
    MASTODON_STREAM = "mastodon_stream", _("Mastodon (streaming)")
    REDDIT = "reddit", _("Reddit")
    YOUTUBE = "youtube", _("YouTube")
    HACKERNEWS = "hackernews", _("Hacker News (Algolia)")
    NEWS_RSS = "news_rss", _("News (Google News / Google Alerts feed)")
    RSS = "rss", _("RSS/Atom feed")
    INBOUND_WEBHOOK = "inbound_webhook", _("Inbound webhook (signed)")


class SourceQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SourceQuerySet":
        """Sources are configuration, not confidential: all or nothing, by the ``view_source`` permission."""
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_perm("incidents.view_source"):
            return self
        return self.none()

    def with_fetched(self, now=None) -> "SourceQuerySet":
        """Annotate ``fetched_hour`` / ``fetched_day`` (items fetched in the last hour / day): two subqueries, not 2 per row."""
        now = now or timezone.now()

        def fetched_since(since):
            runs = (
                SourceRun.objects.filter(source=models.OuterRef("pk"), started_at__gte=since)
                .order_by()
                .values("source")
                .annotate(n=models.Sum("fetched"))
                .values("n")
            )
            return Coalesce(models.Subquery(runs, output_field=models.IntegerField()), 0)

        return self.annotate(
            fetched_hour=fetched_since(now - timedelta(hours=1)), fetched_day=fetched_since(now - timedelta(days=1))
        )

    def due(self, now=None) -> "SourceQuerySet":
        """Enabled sources out of back-off (the poller further checks each one's interval)."""
        now = now or timezone.now()
        return self.filter(enabled=True).filter(Q(backoff_until__isnull=True) | Q(backoff_until__lte=now))

    def failing_for(self, minutes: int, now=None) -> "SourceQuerySet":
        """Enabled sources failing without a success for at least ``minutes``: the dashboard warns about them."""
        now = now or timezone.now()
        return self.filter(
            enabled=True, failing_since__isnull=False, failing_since__lte=now - timedelta(minutes=minutes)
        )


class Source(models.Model):
    """A place the desk listens to (a platform search, a stream, a feed, a webhook) with its cursor and health.

    ``config`` holds what the connector of ``kind`` needs (base URL, instance, hashtags, query…,
    validated by the connector); ``credentials_secret`` the encrypted JSON object of its secrets
    (each value may be an ``env:NAME`` reference). ``cursor`` is the connector's position, written
    only with the items it covers (``source_record_batch``).
    """

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=SourceKind.choices)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    credentials_secret = models.TextField(blank=True, editable=False)
    # Which credential names are set (shown instead of the values, which are write-only).
    credential_names = models.JSONField(default=list, blank=True, editable=False)
    watch_terms = models.ManyToManyField(
        WatchTerm, blank=True, related_name="sources", verbose_name=_("watch terms it serves")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    poll_interval_seconds = models.PositiveIntegerField(
        _("poll every (seconds)"), default=300, help_text=_("Polling sources only; streams are continuous.")
    )
    max_requests_per_minute = models.PositiveIntegerField(
        _("rate limit (requests per minute)"), default=30, help_text=_("Requests this source may make to the platform.")
    )
    cursor = models.JSONField(_("cursor"), default=dict, blank=True, editable=False)
    # Health, written by source_record_batch / source_record_failure only.
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0, editable=False)
    backoff_until = models.DateTimeField(_("backed off until"), null=True, blank=True, editable=False)
    # When the failure warning was sent to team leads (once per failure episode).
    failure_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SourceKind.values), name="source_kind_valid"),
            models.CheckConstraint(condition=Q(poll_interval_seconds__gte=10), name="source_poll_interval_min"),
            models.CheckConstraint(condition=Q(max_requests_per_minute__gte=1), name="source_rate_limit_min"),
        ]

    def __str__(self):
        return self.name

    def __repr__(self):
        # Never the credentials, not even encrypted.
        return f"<Source {self.pk} {self.kind} {self.name!r}>"

    def get_absolute_url(self) -> str:
        return reverse("mentions:source", kwargs={"pk": self.pk})

    # --- credentials (write-only) ---------------------------------------------------------

    def set_credentials(self, values: dict[str, str]) -> None:
        """Store these credentials (name → value or ``env:NAME``) encrypted; empty values are dropped."""
        values = {name: value for name, value in values.items() if value}
        self.credential_names = sorted(values)
        self.credentials_secret = secretbox.encrypt(json.dumps(values), purpose=CREDENTIALS_PURPOSE) if values else ""

    def credentials(self) -> dict[str, str]:
        """The credentials in clear, references resolved, for the connector only; raises ``SecretUnavailable``."""
        if not self.credentials_secret:
            return {}
        stored = json.loads(secretbox.decrypt(self.credentials_secret, purpose=CREDENTIALS_PURPOSE, what="credentials"))
        return {
            name: secretbox.resolve_reference(value) if secretbox.is_reference(value) else value
            for name, value in stored.items()
        }

    def credential(self, name: str, default: str = "") -> str:
        return self.credentials().get(name, default)

    # --- health -------------------------------------------------------------------------

    @property
    def is_failing(self) -> bool:
        return self.failing_since is not None

    def fetched_since(self, since) -> int:
        return self.runs.filter(started_at__gte=since).aggregate(n=models.Sum("fetched"))["n"] or 0

    def fetched_last_hour(self) -> int:
        if hasattr(self, "fetched_hour"):  # SourceQuerySet.with_fetched
            return self.fetched_hour
        return self.fetched_since(timezone.now() - timedelta(hours=1))

    def fetched_last_day(self) -> int:
        if hasattr(self, "fetched_day"):
            return self.fetched_day
        return self.fetched_since(timezone.now() - timedelta(days=1))


class SourceRun(models.Model):
    """One recorded batch (or failure) of a source: counts per outcome, for its health and history."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("source run")
        verbose_name_plural = _("source runs")
        indexes = [models.Index(fields=["source", "-started_at"])]

    def __str__(self):
        return f"{self.source_id} @ {self.started_at:%Y-%m-%d %H:%M}"


__all__ = ["Source", "SourceKind", "SourceRun"]
