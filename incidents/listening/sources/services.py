"""Every write to sources: recording a batch with its cursor, recording a failure, managing sources.

``source_record_batch`` is the one way items from a connector reach the mention table: the items
(through the idempotent ingest), the deletions and the new cursor are written in **one
transaction** with the source row locked, so after a crash or restart a connector resumes from a
cursor that matches exactly what was stored: no gap (the cursor never moves past unstored items)
and no duplicate (a replayed page is absorbed by the upsert on ``(platform, external_id)``).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incidents.listening import parsing
from incidents.listening import services as mention_services
from incidents.listening.sources.models import Source, SourceRun

RECEIVED_THROUGH = "source"
# Back-off after consecutive failures: base * 2^(n-1), capped (seconds); Retry-After wins when longer.
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
ERROR_MAX = 1000


class CursorConflict(Exception):
    """The stored cursor moved since the caller read it (another poller recorded first): the batch is dropped."""


@dataclass
class BatchResult:
    """What one recorded batch did."""

    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    deleted: int = 0
    errors: list[dict] = field(default_factory=list)


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def source_record_batch(
    *,
    source: Source,
    items: list[dict],
    cursor: dict,
    deleted_ids=(),
    platform: str | None = None,
    expected_cursor: dict | None = None,
    now=None,
) -> BatchResult:
    """Ingest a connector's items, mark its deletions and advance its cursor, all in one transaction.

    ``items`` are mention dicts (``parsing.parse_mention``'s shape); a malformed one is counted as
    rejected (reported on the source), never stored, and does not hold the cursor back: the
    platform will not send a different copy. ``expected_cursor``, when given, must still be the
    stored cursor (``CursorConflict`` otherwise), so two pollers cannot move it backwards.
    ``platform`` names the mention platform of ``deleted_ids`` (the items carry their own).
    The source's health records a success.
    """
    now = now or timezone.now()
    result = BatchResult(fetched=len(items))
    with transaction.atomic():
        # Locked: a concurrent poll of the same source waits here, then sees the advanced cursor.
        locked = Source.objects.select_for_update().get(pk=source.pk)
        if expected_cursor is not None and (locked.cursor or {}) != (expected_cursor or {}):
            raise CursorConflict(f"source {source.pk}: cursor moved")
        # Within one batch the same post may come twice (an edit replayed in a page): the last copy wins.
        unique: dict[tuple, dict] = {}
        for item in items:
            key = (item.get("platform"), item.get("external_id")) if isinstance(item, dict) else (id(item), None)
            unique.pop(key, None)
            unique[key] = item
        for chunk in _chunks(list(unique.values()), parsing.MAX_BATCH):
            mentions, errors = parsing.parse_batch(chunk)
            ingest = mention_services.mentions_ingest(mentions=mentions, source=RECEIVED_THROUGH, origin_id=locked.pk)
            result.created += ingest.count(mention_services.CREATED)
            result.updated += ingest.count(mention_services.UPDATED)
            result.unchanged += ingest.count(mention_services.UNCHANGED)
            result.rejected += len(errors)
            result.errors.extend(errors)
        if deleted_ids:
            deletion_platform = platform or _platform_of(locked)
            result.deleted = mention_services.mentions_mark_deleted(
                platform=deletion_platform, external_ids=list(deleted_ids), at=now
            )
        locked.cursor = cursor or {}
        locked.last_polled_at = now
        locked.last_success_at = now
        locked.consecutive_failures = 0
        locked.backoff_until = None
        locked.failing_since = None
        locked.failure_notified_at = None
        if result.rejected:
            first = result.errors[0]
            locked.last_error = (
                f"{result.rejected} item(s) skipped (malformed), first: {first.get('field')}: {first.get('message')}"
            )[:ERROR_MAX]
            locked.last_error_at = now
        locked.save(
            update_fields=[
                "cursor",
                "last_polled_at",
                "last_success_at",
                "consecutive_failures",
                "backoff_until",
                "failing_since",
                "failure_notified_at",
                "last_error",
                "last_error_at",
            ]
        )
        _record_run(
            locked,
            now,
            fetched=result.fetched,
            created=result.created,
            updated=result.updated,
            rejected=result.rejected,
            deleted=result.deleted,
            error=locked.last_error if result.rejected else "",
        )
    source.cursor = locked.cursor
    return result


def run_bucket_seconds() -> int:
    return int(getattr(settings, "SOURCE_RUN_BUCKET_SECONDS", 60))


def _record_run(source: Source, now, *, error: str = "", **counts) -> None:
    """Add a batch to the source's history: error-free batches within one bucket share a row.

    A stream records a batch every second or so; one row per bucket (``SOURCE_RUN_BUCKET_SECONDS``,
    60) keeps the history at ~1,440 rows a day per stream with the same hourly and daily sums.
    A failure or a batch with rejected items always gets its own row (its error is kept).
    Called with the source row locked, so two batches cannot both start a bucket.
    """
    if not error:
        bucket = (
            SourceRun.objects.filter(
                source=source, error="", started_at__gt=now - timedelta(seconds=run_bucket_seconds())
            )
            .order_by("-started_at", "-id")
            .values_list("pk", flat=True)
            .first()
        )
        if bucket is not None:
            SourceRun.objects.filter(pk=bucket).update(**{name: F(name) + value for name, value in counts.items()})
            return
    SourceRun.objects.create(source=source, started_at=now, error=error, **counts)


def sources_prune_runs(*, now=None) -> int:
    """Delete source history older than ``SOURCE_RUN_RETENTION_DAYS`` (default 7, at least 2); returns how many."""
    now = now or timezone.now()
    days = max(2, int(getattr(settings, "SOURCE_RUN_RETENTION_DAYS", 7)))
    deleted, _ = SourceRun.objects.filter(started_at__lt=now - timedelta(days=days)).delete()
    return deleted


def _platform_of(source: Source) -> str:
    from incidents.listening.sources.connectors.base import get_connector

    connector = get_connector(source.kind)
    return (source.config or {}).get("platform") or (connector.platform if connector else source.kind)


def backoff_seconds(failures: int, retry_after: float | None = None) -> float:
    """How long to wait after ``failures`` consecutive failures: exponential, capped, at least ``Retry-After``."""
    base = getattr(settings, "SOURCE_BACKOFF_BASE_SECONDS", BACKOFF_BASE_SECONDS)
    cap = getattr(settings, "SOURCE_BACKOFF_MAX_SECONDS", BACKOFF_MAX_SECONDS)
    delay = min(cap, base * 2 ** max(0, failures - 1))
    if retry_after is not None:
        # The platform's word wins when longer; a huge or hostile value is still capped at a day.
        delay = max(delay, min(float(retry_after), 86400.0))
    return delay


def source_record_failure(*, source: Source, error: Exception | str, retry_after: float | None = None, now=None):
    """Record a failed poll or stream: the error (visible on the source), the failure streak and the back-off.

    The cursor does not move. ``retry_after`` (or the error's own ``retry_after``) sets the
    minimum back-off. Returns the source as stored.
    """
    now = now or timezone.now()
    if retry_after is None:
        retry_after = getattr(error, "retry_after", None)
    message = str(error) or type(error).__name__
    if isinstance(error, Exception):
        message = f"{type(error).__name__}: {message}" if str(error) else type(error).__name__
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        locked.consecutive_failures += 1
        locked.last_polled_at = now
        locked.last_error = message[:ERROR_MAX]
        locked.last_error_at = now
        if locked.failing_since is None:
            locked.failing_since = now
        locked.backoff_until = now + timedelta(seconds=backoff_seconds(locked.consecutive_failures, retry_after))
        locked.save(
            update_fields=[
                "consecutive_failures",
                "last_polled_at",
                "last_error",
                "last_error_at",
                "failing_since",
                "backoff_until",
            ]
        )
        _record_run(locked, now, error=locked.last_error)
    return locked


# --- failing sources: the dashboard warning and the team leads' notification ------------------

SOURCE_FAILING = "source.failing"


def register_notification_kinds() -> None:
    """Sources' notification kinds (``IncidentsConfig.ready()``)."""
    from django.utils.translation import gettext_lazy

    from crisisdesk.notifications import kinds as notification_kinds

    notification_kinds.register(SOURCE_FAILING, gettext_lazy("Source failing"))


def failing_minutes() -> int:
    return int(getattr(settings, "SOURCE_FAILING_WARN_MINUTES", 30))


def sources_warn_failing(*, now=None) -> int:
    """Tell the team leads, once per failure episode, about each source failing for ``SOURCE_FAILING_WARN_MINUTES``."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from django.utils.translation import gettext_noop

    from crisisdesk.notifications.messages import message
    from crisisdesk.notifications.services import notify
    from crisisdesk.roles import TEAM_LEAD

    now = now or timezone.now()
    warned = 0
    candidates = Source.objects.failing_for(failing_minutes(), now).filter(failure_notified_at__isnull=True)
    for source in candidates:
        with transaction.atomic():
            # Locked and re-checked: two workers sweeping at once notify once.
            locked = Source.objects.select_for_update().get(pk=source.pk)
            if locked.failure_notified_at is not None or locked.failing_since is None:
                continue
            leads = get_user_model().objects.filter(is_active=True, groups__name=TEAM_LEAD).distinct()
            notify(
                recipients=list(leads),
                kind=SOURCE_FAILING,
                message=message(
                    gettext_noop("Source failing: “%(name)s” since %(since)s"),
                    {
                        "name": locked.name,
                        "since": locked.failing_since.strftime("%Y-%m-%d %H:%M UTC"),
                    },
                ),
                url=reverse("mentions:source", kwargs={"pk": locked.pk}),
            )
            locked.failure_notified_at = now
            locked.save(update_fields=["failure_notified_at"])
            warned += 1
    return warned


def source_mark_deleted(*, source: Source, platform: str, external_ids) -> int:
    """Mark posts a source reports deleted (platform given by the sender); returns how many were marked."""
    with transaction.atomic():
        return mention_services.mentions_mark_deleted(platform=platform, external_ids=external_ids)


# --- managing sources (team leads) --------------------------------------------------------------

SOURCE_FIELDS = ("name", "kind", "config", "enabled", "poll_interval_seconds", "max_requests_per_minute")


def can_manage_sources(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("incidents.change_source"))


def source_save(
    *, actor, source: Source | None = None, data: dict, credentials: dict | None = None, watch_terms=None
) -> Source:
    """Create or change a source (team leads): configuration validated by its connector, credentials write-only.

    ``credentials`` (name → value or ``env:NAME``) replaces the stored ones when given; a name
    given empty keeps its stored value. Audited without any credential value.
    """
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils.translation import gettext as _

    from crisisdesk.audit.services import audit_record
    from crisisdesk.secretbox import ENV_NAME, is_reference, reference_name
    from incidents.listening.sources.connectors.base import get_connector

    if not can_manage_sources(actor):
        raise PermissionDenied(_("Only team leads manage sources."))
    unknown = set(data) - set(SOURCE_FIELDS)
    if unknown:
        raise ValueError(f"not source fields: {sorted(unknown)}")
    with transaction.atomic():
        creating = source is None
        source = Source(created_by=actor) if creating else Source.objects.select_for_update().get(pk=source.pk)
        if not creating and "kind" in data and data["kind"] != source.kind:
            raise ValidationError({"kind": _("The kind of a source cannot change; add a new source.")})
        for name, value in data.items():
            setattr(source, name, value)
        connector = get_connector(source.kind)
        if connector is None:
            raise ValidationError({"kind": _("No connector is installed for this kind.")})
        source.config = connector.clean_config(source.config if isinstance(source.config, dict) else {})
        if credentials is not None:
            for name, value in credentials.items():
                if value and is_reference(value) and not ENV_NAME.match(reference_name(value)):
                    raise ValidationError({name: _("Write env:NAME with an upper-case variable name.")})
            # Merge with what is stored as stored (references unresolved), not the environment's values.
            merged = _stored_credentials(source) if source.credentials_secret else {}
            merged.update({k: v for k, v in credentials.items() if v})
            source.set_credentials(merged)
        source.full_clean()
        source.save()
        if watch_terms is not None:
            source.watch_terms.set(watch_terms)
        audit_record(
            actor=actor,
            action="source.create" if creating else "source.update",
            target=source,
            to_state="enabled" if source.enabled else "paused",
            data={"kind": source.kind, "config": source.config, "credentials": source.credential_names},
        )
    return source


def _stored_credentials(source: Source) -> dict:
    import json

    from crisisdesk import secretbox
    from incidents.listening.sources.models import CREDENTIALS_PURPOSE

    return json.loads(secretbox.decrypt(source.credentials_secret, purpose=CREDENTIALS_PURPOSE, what="credentials"))


def source_set_enabled(*, actor, source: Source, enabled: bool) -> Source:
    """Pause or resume a source (team leads)."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from crisisdesk.audit.services import audit_record

    if not can_manage_sources(actor):
        raise PermissionDenied(_("Only team leads manage sources."))
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        before = "enabled" if locked.enabled else "paused"
        locked.enabled = enabled
        if enabled:
            locked.backoff_until = None
        locked.save(update_fields=["enabled", "backoff_until"])
        audit_record(
            actor=actor,
            action="source.enabled",
            target=locked,
            from_state=before,
            to_state="enabled" if enabled else "paused",
        )
    return locked
