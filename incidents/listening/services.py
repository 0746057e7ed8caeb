"""Every write to mentions and watch terms: idempotent ingest, triage, linking, private follow-ups.

Ingest is the hot path (≥ 10,000 mentions/s through the bulk API): items are validated by a
plain function (``parse_mention``, shared by the API, CSV import and feeds) rather than a DRF
serializer per item, and a batch is written with one ``INSERT … ON CONFLICT DO UPDATE``. A
redelivery updates what the source owns (text, author, audience, sentiment…), never what triage
owns (status, incident, answer URL).
"""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit.services import audit_record, audit_records
from incidents import permissions
from incidents.listening.models import (
    FollowUpChannel,
    Mention,
    MentionStatus,
    MentionTerm,
    PrivateFollowUp,
    SpikeAction,
    SpikeRule,
    WatchTerm,
)
from incidents.listening.parsing import (
    COMPARED_FIELDS,
    SOURCE_FIELDS,
    IncomingMention,
    is_newer,
    parse_batch,
)
from incidents.models import ACTIVE_STATUSES, Incident

_url_validator = URLValidator(schemes=["http", "https"])
# Spike evaluation is enqueued at most once per this many seconds per watch term: a burst
# of bulk requests must not become a burst of identical evaluations.
SPIKE_DEBOUNCE_SECONDS = 1
SPIKE_DEBOUNCE_MARGIN = 0.25


@dataclass
class IngestResult:
    """What an ingest did: per mention (same order) ``created``, ``updated`` or ``unchanged``; matched terms.

    ``stored`` counts the mentions accepted (all three outcomes): each is now held at its newest version.
    """

    stored: int = 0
    term_ids: set[int] = field(default_factory=set)
    mentions: list["IncomingMention | Mention"] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return self.outcomes.count(outcome)


CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"


# --- watch-term matching -------------------------------------------------------------------


def _term_pattern(term: str) -> re.Pattern:
    # Whole words (or whole hashtags): "Acme" matches "acme's" but not "acmeplex".
    return re.compile(r"(?<![\w#])" + re.escape(term.lower()) + r"(?!\w)")


def active_term_patterns() -> list[tuple[int, re.Pattern]]:
    """Active watch terms and their compiled patterns (one small query per batch; ``re`` caches the compiles)."""
    return [(pk, _term_pattern(term)) for pk, term in WatchTerm.objects.filter(active=True).values_list("pk", "term")]


def match_terms(text: str, patterns) -> list[int]:
    lowered = text.lower()
    return [pk for pk, pattern in patterns if pattern.search(lowered)]


# --- ingest --------------------------------------------------------------------------------


@transaction.atomic
def mentions_ingest(
    *, mentions: list["IncomingMention | Mention"], source: str, origin_id: int | None = None
) -> IngestResult:
    """Store validated mentions idempotently (one upsert), refresh their term matches, queue spike checks.

    The caller validated every item (``parse_batch``); within the batch, (platform, external_id)
    must be unique. A mention already stored is replaced only by a newer version
    (``parsing.is_newer``: the source's ``edited_at`` or ``posted_at``, never the arrival order);
    an older or identical copy is ``unchanged`` and touches nothing.
    """
    if not mentions:
        return IngestResult()
    now = timezone.now()
    for mention in mentions:
        mention.source = source
        mention.origin_id = origin_id
        mention.received_at = now
        mention.updated_at = now
    if connection.vendor == "postgresql":
        outcomes = _upsert_postgresql(mentions)
    else:
        outcomes = _upsert_orm(mentions)
    patterns = active_term_patterns()
    # A post the platform deleted stays out of the evidence even when a copy is delivered again.
    gone = (
        set(Mention.objects.filter(pk__in=redelivered_pks, deleted_at__isnull=False).values_list("pk", flat=True))
        if (redelivered_pks := [m.pk for m, o in zip(mentions, outcomes, strict=True) if o == UPDATED])
        else set()
    )
    matches = []
    term_ids: set[int] = set()
    redelivered = []
    for m, outcome in zip(mentions, outcomes, strict=True):
        if outcome == UNCHANGED:
            continue
        if outcome == UPDATED:
            redelivered.append(m.pk)
            if m.pk in gone:
                continue
        for term_id in match_terms(m.text, patterns):
            term_ids.add(term_id)
            matches.append((m.pk, term_id, m.posted_at, m.sentiment_label == "negative"))
    if redelivered:
        # A redelivery may have changed the text (and so the matches) or the time and tone.
        MentionTerm.objects.filter(mention_id__in=redelivered).delete()
    if matches:
        if connection.vendor == "postgresql":
            _insert_matches_postgresql(matches)
        else:
            MentionTerm.objects.bulk_create(
                [MentionTerm(mention_id=a, watch_term_id=b, posted_at=c, negative=d) for a, b, c, d in matches],
                ignore_conflicts=True,
            )
    if term_ids:
        transaction.on_commit(lambda: enqueue_spike_evaluation(term_ids))
    return IngestResult(stored=len(mentions), term_ids=term_ids, mentions=mentions, outcomes=outcomes)


def mentions_ingest_items(*, items, source: str, origin_id: int | None = None) -> tuple[IngestResult, list[dict]]:
    """Validate and store a batch item by item: the good ones are stored, the bad ones reported.

    Returns the ingest result and one result per item, in input order: ``{index, status, id}``
    with status ``created`` / ``updated`` / ``unchanged``, or ``{index, status: "rejected", field,
    message}``. Raises ``ValidationError`` (nothing stored) when the batch itself is malformed.
    """
    mentions, errors = parse_batch(items)
    result = mentions_ingest(mentions=mentions, source=source, origin_id=origin_id)
    results: list[dict | None] = [None] * len(items)
    for error in errors:
        results[error["index"]] = {"index": error["index"], "status": REJECTED, **error}
    for m, outcome in zip(result.mentions, result.outcomes, strict=True):
        results[m.index] = {"index": m.index, "status": outcome, "id": m.pk}
    return result, results


def mentions_mark_deleted(*, platform: str, external_ids, at: datetime | None = None) -> int:
    """Mark the stored mentions the platform deleted (kept for the record, not live evidence); returns how many.

    Runs in the caller's transaction. A mention already marked keeps its first deletion time;
    unknown ids are ignored (a deletion may arrive for a post we never stored).
    """
    ids = [str(e) for e in external_ids if e not in (None, "")]
    if not ids:
        return 0
    marked = Mention.objects.filter(platform=platform, external_id__in=ids, deleted_at__isnull=True)
    pks = list(marked.values_list("pk", flat=True))
    if not pks:
        return 0
    # No longer evidence: its watch-term matches go, so spike windows stop counting it.
    MentionTerm.objects.filter(mention_id__in=pks).delete()
    return Mention.objects.filter(pk__in=pks).update(deleted_at=at or timezone.now(), updated_at=timezone.now())


def _key_filter(keys) -> dict:
    return {"platform__in": {p for p, _ in keys}, "external_id__in": {e for _, e in keys}}


def _upsert_orm(mentions: list) -> list[str]:
    """The portable upsert (SQLite): read the stored versions, write the newer ones with ``bulk_create``."""
    keys = [(m.platform, m.external_id) for m in mentions]
    stored = {
        (row["platform"], row["external_id"]): row
        for row in Mention.objects.filter(**_key_filter(keys)).values("pk", "platform", "external_id", *COMPARED_FIELDS)
    }
    outcomes, write = [], []
    for m, key in zip(mentions, keys, strict=True):
        row = stored.get(key)
        if row is None:
            outcomes.append(CREATED)
        elif is_newer(m, row):
            outcomes.append(UPDATED)
        else:
            outcomes.append(UNCHANGED)
            m.pk = row["pk"]
            continue
        write.append(m)
    if write:
        Mention.objects.bulk_create(
            [m.to_model() if isinstance(m, IncomingMention) else m for m in write],
            update_conflicts=True,
            unique_fields=["platform", "external_id"],
            update_fields=list(SOURCE_FIELDS),
        )
        written = [(m.platform, m.external_id) for m in write]
        ids = {
            (p, e): pk
            for p, e, pk in Mention.objects.filter(**_key_filter(written)).values_list("platform", "external_id", "pk")
        }
        for m in write:
            m.pk = ids[(m.platform, m.external_id)]
    return outcomes


# Columns written by the PostgreSQL upsert, with the array type each is sent as.
_PG_COLUMNS = (
    ("platform", "varchar"),
    ("external_id", "varchar"),
    ("url", "varchar"),
    ("author", "varchar"),
    ("audience", "bigint"),
    ("text", "text"),
    ("language", "varchar"),
    ("posted_at", "timestamptz"),
    ("edited_at", "timestamptz"),
    ("sentiment", "float8"),
    ("sentiment_label", "varchar"),
    ("sentiment_source", "varchar"),
    ("status", "varchar"),
    ("reply_url", "varchar"),
    ("source", "varchar"),
    ("received_at", "timestamptz"),
    ("updated_at", "timestamptz"),
    ("origin_id", "bigint"),
)


def _version_sql(alias: str) -> str:
    # parsing.version_of in SQL: GREATEST ignores a NULL edited_at.
    return f"GREATEST({alias}.posted_at, {alias}.edited_at)"


def _upsert_postgresql(mentions: list) -> list[str]:
    """The same upsert as ``_upsert_orm`` as one statement fed by one JSON document (PostgreSQL).

    ``bulk_create`` binds 16,000 parameters for 1,000 mentions and spent ~110 ms doing it; one
    JSON parameter (``json.dumps`` is C) unpacked by ``json_to_recordset`` on the server is
    several times faster, and is what lets the bulk API reach its throughput target.
    ``xmax = 0`` tells a freshly inserted row from an updated one. The ``WHERE`` of the update
    is ``parsing.is_newer``: a row it skips is not returned, and is ``unchanged``.
    """
    table = Mention._meta.db_table
    columns = ", ".join(name for name, _ in _PG_COLUMNS)
    record = ", ".join(f"{name} {kind}" for name, kind in _PG_COLUMNS)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in SOURCE_FIELDS)
    compared = ", ".join(f"m.{name}" for name in COMPARED_FIELDS)
    excluded = ", ".join(f"EXCLUDED.{name}" for name in COMPARED_FIELDS)
    mine, theirs = _version_sql("EXCLUDED"), _version_sql("m")
    # Identifiers come from the model and _PG_COLUMNS, never from input; values are one parameter.
    sql = (
        f"INSERT INTO {table} AS m ({columns}) "  # noqa: S608
        f"SELECT {columns} FROM json_to_recordset(%s::json) AS t({record}) "
        f"ON CONFLICT (platform, external_id) DO UPDATE SET {updates} "
        f"WHERE {mine} > {theirs} OR ({mine} = {theirs} AND ({compared}) IS DISTINCT FROM ({excluded})) "
        "RETURNING id, platform, external_id, (xmax = 0)"
    )
    names = [name for name, _ in _PG_COLUMNS]
    document = json.dumps([{name: getattr(m, name) for name in names} for m in mentions], default=_json_default)
    with connection.cursor() as cursor:
        cursor.execute(sql, [document])
        rows = cursor.fetchall()
    by_key = {(p, e): (pk, inserted) for pk, p, e, inserted in rows}
    missing = [(m.platform, m.external_id) for m in mentions if (m.platform, m.external_id) not in by_key]
    if missing:
        unchanged = Mention.objects.filter(**_key_filter(missing)).values_list("platform", "external_id", "pk")
        by_key.update({(p, e): (pk, None) for p, e, pk in unchanged if (p, e) not in by_key})
    outcomes = []
    for m in mentions:
        m.pk, inserted = by_key[(m.platform, m.external_id)]
        outcomes.append(UNCHANGED if inserted is None else CREATED if inserted else UPDATED)
    return outcomes


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value))


def _insert_matches_postgresql(matches: list[tuple]) -> None:
    table = MentionTerm._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (mention_id, watch_term_id, posted_at, negative) "  # noqa: S608
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::boolean[]) "
            "ON CONFLICT (mention_id, watch_term_id) DO NOTHING",
            [[row[i] for row in matches] for i in range(4)],
        )


def enqueue_spike_evaluation(term_ids) -> None:
    """Ask the worker to evaluate the spike rules of these terms.

    With a broker, a burst of batches becomes one evaluation per term and debounce period: the
    first batch queues it with a countdown of that period, so it runs after the later batches
    of the burst have committed. Eager (no broker), it runs now.
    """
    from incidents.listening.tasks import evaluate_spikes

    if evaluate_spikes.app.conf.task_always_eager:
        evaluate_spikes.delay(sorted(term_ids))
        return
    due = [pk for pk in sorted(term_ids) if cache.add(f"mentions:spike-queued:{pk}", 1, SPIKE_DEBOUNCE_SECONDS)]
    if due:
        # The task starts after the debounce mark expired: a batch that committed while the mark
        # stood (and so queued nothing) is visible to it; any later batch queues its own.
        evaluate_spikes.apply_async(args=[due], countdown=SPIKE_DEBOUNCE_SECONDS + SPIKE_DEBOUNCE_MARGIN)


def can_ingest(user) -> bool:
    return user.is_authenticated and user.has_perm("incidents.add_mention")


# --- triage --------------------------------------------------------------------------------


def can_triage(user) -> bool:
    return user.is_authenticated and user.has_perm("incidents.change_mention")


def _visible_incident(actor, incident: Incident) -> Incident:
    if not permissions.can_view(actor, incident):
        raise PermissionDenied(_("You may not see this incident."))
    if incident.status not in ACTIVE_STATUSES:
        raise ValidationError({"incident": _("Mentions can only be linked to an active incident.")})
    return incident


@transaction.atomic
def mentions_set_status(*, actor, mentions, status: str) -> int:
    """Bulk triage: set the status of the given mentions (answered privately needs a follow-up instead)."""
    if not can_triage(actor):
        raise PermissionDenied(_("You may not triage mentions."))
    if status not in MentionStatus.values or status == MentionStatus.ANSWERED_PRIVATELY:
        raise ValidationError({"status": _("Choose new, triaged, answered, ignored or escalated.")})
    ids = [m.pk for m in mentions]
    # Locked so the audit trail's "from" is the status this change replaced, not one a concurrent triage wrote.
    locked = list(Mention.objects.visible_to(actor).filter(pk__in=ids).select_for_update(of=("self",)))
    changed = Mention.objects.filter(pk__in=[m.pk for m in locked]).update(status=status, updated_at=timezone.now())
    audit_records(actor=actor, action="mention.status", changes=[(m, m.status, status) for m in locked])
    return changed


@transaction.atomic
def mentions_link_incident(*, actor, mentions, incident: Incident) -> int:
    """Link mentions to an active incident the actor can see; untriaged ones become triaged."""
    if not can_triage(actor):
        raise PermissionDenied(_("You may not triage mentions."))
    incident = _visible_incident(actor, incident)
    ids = [m.pk for m in mentions]
    return link_mentions(actor=actor, mentions=Mention.objects.visible_to(actor).filter(pk__in=ids), incident=incident)


def link_mentions(*, actor, mentions: models.QuerySet, incident: Incident) -> int:
    """Link these mentions to the incident, untriaged ones become triaged, each link audited.

    The one place evidence joins an incident: bulk triage, an incident opened from the inbox, an
    alert's evidence on opening or attaching. The caller checked who may; runs in its transaction.
    """
    # Locked for the same reason as in mentions_set_status: the recorded "from" incident is the one replaced.
    locked = list(mentions.select_for_update(of=("self",)).select_related("incident"))
    qs = Mention.objects.filter(pk__in=[m.pk for m in locked])
    linked = qs.update(incident=incident, updated_at=timezone.now())
    qs.filter(status=MentionStatus.NEW).update(status=MentionStatus.TRIAGED)
    audit_records(
        actor=actor,
        action="mention.link",
        changes=[(m, m.incident.reference if m.incident else "", incident.reference) for m in locked],
    )
    return linked


@transaction.atomic
def mention_record_answer(*, actor, mention: Mention, reply_url: str) -> Mention:
    """Record our public answer (its URL); the mention becomes answered."""
    if not can_triage(actor):
        raise PermissionDenied(_("You may not triage mentions."))
    try:
        _url_validator(reply_url)
    except ValidationError:
        raise ValidationError({"reply_url": _("Enter a valid http(s) URL.")}) from None
    mention = Mention.objects.select_for_update().get(pk=mention.pk)
    from_status = mention.status
    mention.reply_url = reply_url
    mention.status = MentionStatus.ANSWERED
    mention.save(update_fields=["reply_url", "status", "updated_at"])
    audit_record(actor=actor, action="mention.status", target=mention, from_state=from_status, to_state=mention.status)
    return mention


@transaction.atomic
def mention_answer_privately(
    *, actor, mention: Mention, incident: Incident | None = None, channel: str, outcome: str = ""
) -> PrivateFollowUp:
    """Move a conversation to a private channel: a confidential follow-up only the incident's team sees."""
    if not can_triage(actor):
        raise PermissionDenied(_("You may not triage mentions."))
    mention = Mention.objects.select_for_update().get(pk=mention.pk)
    incident = incident or mention.incident
    if incident is None:
        raise ValidationError({"incident": _("Link the mention to an incident first: its team owns the follow-up.")})
    _visible_incident(actor, incident)
    if not (actor.is_superuser or permissions.is_member(actor, incident)):
        raise PermissionDenied(_("Only the incident's team may record private follow-ups."))
    if channel not in FollowUpChannel.values:
        raise ValidationError({"channel": _("Choose direct message, email or phone.")})
    follow_up = PrivateFollowUp(mention=mention, incident=incident, channel=channel, outcome=outcome, created_by=actor)
    follow_up.full_clean()
    follow_up.save()
    from_status = mention.status
    mention.incident = incident
    mention.status = MentionStatus.ANSWERED_PRIVATELY
    mention.save(update_fields=["incident", "status", "updated_at"])
    audit_record(actor=actor, action="mention.status", target=mention, from_state=from_status, to_state=mention.status)
    return follow_up


# --- watch terms ---------------------------------------------------------------------------


def can_manage_terms(user) -> bool:
    return user.is_authenticated and user.has_perm("incidents.add_watchterm")


@transaction.atomic
def watch_term_add(*, actor, term: str, kind: str) -> WatchTerm:
    """Listen for a new term (team leads)."""
    if not can_manage_terms(actor):
        raise PermissionDenied(_("Only team leads manage watch terms."))
    term = term.strip()
    if WatchTerm.objects.filter(term__iexact=term).exists():
        raise ValidationError({"term": _("This term is already watched.")})
    watch_term = WatchTerm(term=term, kind=kind, created_by=actor)
    watch_term.full_clean(validate_constraints=False)
    watch_term.save()
    audit_record(actor=actor, action="watch_term.add", target=watch_term, to_state="active", data={"kind": kind})
    return watch_term


@transaction.atomic
def watch_term_set_active(*, actor, watch_term: WatchTerm, active: bool) -> WatchTerm:
    """Pause or resume listening for a term."""
    if not can_manage_terms(actor):
        raise PermissionDenied(_("Only team leads manage watch terms."))
    # Two leads pausing and resuming at once: each records the state it really changed.
    watch_term = WatchTerm.objects.select_for_update().get(pk=watch_term.pk)
    from_state = "active" if watch_term.active else "paused"
    watch_term.active = active
    watch_term.save(update_fields=["active"])
    audit_record(
        actor=actor,
        action="watch_term.active",
        target=watch_term,
        from_state=from_state,
        to_state="active" if active else "paused",
    )
    return watch_term


# --- spike rules ---------------------------------------------------------------------------

SPIKE_RULE_FIELDS = (
    "name",
    "watch_term",
    "window_minutes",
    "baseline_days",
    "min_count",
    "volume_factor",
    "negative_share_rise",
    "recent_windows",
    "cooldown_minutes",
    "action",
    "attach_to",
    "default_category",
    "default_severity",
    "active",
)


def can_manage_spike_rules(user) -> bool:
    return (
        user.is_authenticated
        and user.has_perm("incidents.add_spikerule")
        and user.has_perm("incidents.change_spikerule")
    )


@transaction.atomic
def spike_rule_save(*, actor, rule: SpikeRule | None = None, data: dict) -> SpikeRule:
    """Create a spike rule, or change one (team leads); ``data`` holds any of ``SPIKE_RULE_FIELDS``.

    A rule is never deleted here: that would cascade to its alerts, the evidence of past
    spikes; it is deactivated instead.
    """
    if not can_manage_spike_rules(actor):
        raise PermissionDenied(_("Only team leads manage spike rules."))
    unknown = set(data) - set(SPIKE_RULE_FIELDS)
    if unknown:
        raise ValueError(f"not spike rule fields: {sorted(unknown)}")
    before = {}
    if rule is None:
        # A new rule looks at mentions matched from now on: it does not alert about past spikes.
        newest = MentionTerm.objects.aggregate(newest=models.Max("pk"))["newest"] or 0
        rule = SpikeRule(created_by=actor, evaluated_through=newest)
    else:
        # Evaluation locks the rule to stamp last_fired_at: wait for it rather than overwrite it.
        rule = SpikeRule.objects.select_for_update().get(pk=rule.pk)
        before = _spike_rule_settings(rule)
    for name, value in data.items():
        setattr(rule, name, value)
    if rule.action == SpikeAction.ATTACH and rule.attach_to is None:
        raise ValidationError({"attach_to": _("Choose the incident to attach alerts to.")})
    if rule.attach_to is not None and "attach_to" in data:
        try:
            _visible_incident(actor, rule.attach_to)
        except ValidationError as exc:
            # The rule's field is attach_to (the form and the admin show the message there).
            raise ValidationError({"attach_to": exc.message_dict["incident"]}) from None
    if rule.action != SpikeAction.ATTACH:
        rule.attach_to = None
    rule.full_clean()
    creating = not before
    rule.save()
    after = _spike_rule_settings(rule)
    changed = sorted(name for name in after if before.get(name) != after[name])
    if creating or changed:
        audit_record(
            actor=actor,
            action="spike_rule.create" if creating else "spike_rule.update",
            target=rule,
            from_state=", ".join(f"{name}={before[name]}" for name in changed) if not creating else "",
            to_state=", ".join(f"{name}={after[name]}" for name in changed),
            data={"before": {name: before.get(name) for name in changed}, "after": {n: after[n] for n in changed}},
        )
    return rule


def _spike_rule_settings(rule: SpikeRule) -> dict:
    """The rule's editable settings as JSON-ready values (foreign keys by id), for its audit record."""
    values = {}
    for name in SPIKE_RULE_FIELDS:
        field = rule._meta.get_field(name)
        value = getattr(rule, field.attname)
        values[name] = value if value is None or isinstance(value, bool | int | float | str) else str(value)
    return values


# --- CSV import ----------------------------------------------------------------------------
