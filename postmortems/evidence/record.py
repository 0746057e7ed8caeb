"""The evidence pack's record: one incident's full history as plain JSON-ready data.

Read in a bounded number of queries whatever the number of statements, revisions or alerts:
each kind of row is fetched once for the whole incident (``__in`` over the ids) and grouped in
Python, never per statement. The shape is documented in ``docs/evidence-pack.md``; a change of
shape bumps ``SCHEMA_VERSION``.
"""

import json
from collections import defaultdict
from datetime import UTC

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q
from django.utils import timezone

from crisisdesk.audit.models import AuditRecord
from crisisdesk.review.models import Action, AuditEvent, ReviewDecision, Revision
from crisisdesk.review.views import text_diff
from incidents.checklist.models import IncidentTask
from incidents.listening.alerts import evidence_ids
from incidents.listening.models import Alert, Mention
from incidents.models import Fact, Incident
from incidents.statements.models import Statement, StatementPublication
from postmortems.models import ActionItem, PostmortemReview

SCHEMA_VERSION = 2
EXERCISE_LABEL = "EXERCISE — not a real incident"
ATTACHMENTS_NOTE = (
    "CrisisDesk stores no attachments (no uploaded files on incidents, facts, statements or reviews): "
    "the pack holds every stored record, and sources are cited by text or URL inside it."
)
# Actions of the review engine whose audit event stands for a reviewer's decision.
DECISION_ACTIONS = {Action.APPROVE, Action.PRE_APPROVE, Action.REQUEST_CHANGES, Action.REJECT}


def _time(value):
    return value.astimezone(UTC).isoformat() if value else None


def _user(user):
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "name": user.get_full_name()}


def _factor(data):
    """The authentication factor the audit data records (``totp``, ``recovery``…), else ``None``."""
    return str(data["factor"]) if isinstance(data, dict) and data.get("factor") else None


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def revision_diff(old: dict, new: dict) -> dict:
    """What changed between two revisions' contents: the changed fields and a line diff per field.

    The diff lines come from the review page's ``text_diff`` (the same comparison Legal saw),
    prefixed ``-`` (removed), ``+`` (added) or two spaces (unchanged).
    """
    changed = sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
    lines = []
    for key in changed:
        lines.append(f"@@ {key} @@")
        for row in text_diff(_as_text(old.get(key)), _as_text(new.get(key))):
            prefix = {"delete": "- ", "insert": "+ "}.get(row["op"], "  ")
            lines.append(prefix + "".join(segment["text"] for segment in row["segments"]))
    return {"changed_fields": changed, "text": "\n".join(lines)}


def _reviewable_history(model, items) -> dict[int, dict]:
    """Revisions with diffs, decisions with their factor, and review events of ``items``, by item id.

    Three queries for all the items together.
    """
    content_type = ContentType.objects.get_for_model(model)
    ids = [item.pk for item in items]
    rows = {"content_type": content_type, "object_id__in": ids}
    revisions = defaultdict(list)
    for revision in Revision.objects.filter(**rows).select_related("created_by").order_by("object_id", "number"):
        revisions[revision.object_id].append(revision)
    events = defaultdict(list)
    for event in AuditEvent.objects.filter(**rows).select_related("actor", "revision").order_by("created_at", "pk"):
        events[event.object_id].append(event)
    decisions = defaultdict(list)
    for decision in (
        ReviewDecision.objects.filter(**rows).select_related("reviewer", "revision").order_by("created_at", "pk")
    ):
        decisions[decision.object_id].append(decision)

    history = {}
    for item_id in ids:
        # A decision and the audit event written with it share reviewer, revision, action and role.
        factors = {
            (event.actor_id, event.revision_id, event.action, (event.data or {}).get("role", "")): _factor(event.data)
            for event in events[item_id]
            if event.action in DECISION_ACTIONS
        }
        previous = None
        revision_rows = []
        for revision in revisions[item_id]:
            revision_rows.append(
                {
                    "number": revision.number,
                    "content": revision.content,
                    "content_hash": revision.content_hash,
                    "created_by": _user(revision.created_by),
                    "created_at": _time(revision.created_at),
                    "diff_from_previous": (
                        None
                        if previous is None
                        else {"from": previous.number, **revision_diff(previous.content, revision.content)}
                    ),
                }
            )
            previous = revision
        history[item_id] = {
            "revisions": revision_rows,
            "decisions": [
                {
                    "decision": decision.decision,
                    "reviewer": _user(decision.reviewer),
                    "at": _time(decision.created_at),
                    "revision": decision.revision.number,
                    "content_hash": decision.content_hash,
                    "role": decision.role,
                    "comment": decision.comment,
                    "inherited": decision.based_on_id is not None,
                    "factor": factors.get(
                        (decision.reviewer_id, decision.revision_id, decision.decision, decision.role)
                    ),
                }
                for decision in decisions[item_id]
            ],
            "review_events": [
                {
                    "at": _time(event.created_at),
                    "actor": _user(event.actor),
                    "action": event.action,
                    "from": event.from_state,
                    "to": event.to_state,
                    "revision": event.revision.number if event.revision_id else None,
                    "comment": event.comment,
                    "ip_address": event.ip_address,
                    "factor": _factor(event.data),
                }
                for event in events[item_id]
            ],
        }
    return history


def _publication_state(item) -> dict:
    return {
        "published_at": _time(item.published_at),
        "published_by": _user(item.published_by),
        "withdrawn_at": _time(item.withdrawn_at),
        "withdrawn_by": _user(item.withdrawn_by),
        "withdrawal_reason": item.withdrawal_reason,
    }


REVIEWABLE_RELATED = ("created_by", "published_by", "withdrawn_by", "current_revision", "published_revision")


def _statements(incident) -> list[dict]:
    statements = list(
        Statement.objects.filter(incident=incident)
        .select_related(*REVIEWABLE_RELATED)
        .prefetch_related(
            Prefetch(
                "publications",
                queryset=StatementPublication.objects.select_related("recorded_by").order_by("recorded_at", "pk"),
            ),
            "facts",
        )
        .order_by("pk")
    )
    history = _reviewable_history(Statement, statements)
    return [
        {
            "id": statement.pk,
            "title": statement.title,
            "status": statement.status,
            "channels": statement.channels,
            "language": statement.language,
            "author": _user(statement.created_by),
            "created_at": _time(statement.created_at),
            "cited_fact_ids": sorted(fact.pk for fact in statement.facts.all()),
            "current_revision": statement.current_revision.number if statement.current_revision_id else None,
            "published_revision": statement.published_revision.number if statement.published_revision_id else None,
            **_publication_state(statement),
            **history[statement.pk],
            "publications": [
                {
                    "channel": publication.channel,
                    "url": publication.url,
                    "recorded_by": _user(publication.recorded_by),
                    "recorded_at": _time(publication.recorded_at),
                }
                for publication in statement.publications.all()
            ],
        }
        for statement in statements
    ]


def _mention(mention) -> dict:
    return {
        "id": mention.pk,
        "platform": mention.platform,
        "external_id": mention.external_id,
        "url": mention.url,
        "author": mention.author,
        "audience": mention.audience,
        "text": mention.text,
        "language": mention.language,
        "posted_at": _time(mention.posted_at),
        "sentiment": mention.sentiment,
        "sentiment_label": mention.sentiment_label,
    }


def _evidence_mentions(incident, ids, viewer):
    """The alerts' sample mentions, by id; for a ``viewer``, without those linked to an incident hidden from them.

    As on the alert's API page: a mention of another confidential incident stays out of the pack
    (its id remains in the stored ``evidence``). The command line (no viewer) exports them all.
    """
    mentions = Mention.objects.filter(pk__in=ids)
    if viewer is not None:
        mentions = mentions.filter(
            Q(incident__isnull=True) | Q(incident=incident) | Q(incident__in=Incident.objects.visible_to(viewer))
        )
    return {mention.pk: mention for mention in mentions}


def _alerts(incident, viewer) -> list[dict]:
    alerts = list(
        Alert.objects.filter(incident=incident)
        .select_related("rule", "watch_term", "handled_by")
        .order_by("fired_at", "pk")
    )
    wanted = {pk for alert in alerts for pk in evidence_ids(alert)}
    mentions = _evidence_mentions(incident, wanted, viewer) if wanted else {}
    return [
        {
            "id": alert.pk,
            "rule": alert.rule.name,
            "watch_term": alert.watch_term.term,
            "fired_at": _time(alert.fired_at),
            "window_start": _time(alert.window_start),
            "window_end": _time(alert.window_end),
            "count": alert.count,
            "baseline": alert.baseline,
            "negative_share": alert.negative_share,
            "baseline_negative_share": alert.baseline_negative_share,
            "handling": alert.handling,
            "handled_at": _time(alert.handled_at),
            "handled_by": _user(alert.handled_by),
            "dismiss_reason": alert.dismiss_reason,
            "evidence": alert.evidence,
            # Ids whose mention no longer exists, or is hidden from the viewer, stay in ``evidence`` only.
            "evidence_mentions": [_mention(mentions[pk]) for pk in evidence_ids(alert) if pk in mentions],
        }
        for alert in alerts
    ]


def _tasks(incident) -> list[dict]:
    tasks = IncidentTask.objects.filter(incident=incident).select_related(
        "activation__playbook", "role", "assignee", "completed_by"
    )
    return [
        {
            "id": task.pk,
            "playbook": task.activation.playbook.title,
            "position": task.position,
            "title": task.title,
            "instructions": task.instructions,
            "role": task.role.name if task.role_id else None,
            "assignee": _user(task.assignee),
            "due_at": _time(task.due_at),
            "status": task.status,
            "completed_at": _time(task.completed_at),
            "completed_by": _user(task.completed_by),
            "note": task.note,
            "created_at": _time(task.created_at),
        }
        for task in tasks.order_by("activation__activated_at", "position", "pk")
    ]


def _postmortem(incident):
    review = (
        PostmortemReview.objects.filter(incident=incident)
        .select_related(*REVIEWABLE_RELATED)
        .prefetch_related("action_items__owner")
        .first()
    )
    if review is None:
        return None, [], []
    history = _reviewable_history(PostmortemReview, [review])[review.pk]
    items = list(review.action_items.all())
    record = {
        "id": review.pk,
        "title": review.title,
        "status": review.status,
        "author": _user(review.created_by),
        "created_at": _time(review.created_at),
        "first_seen_at": _time(review.first_seen_at),
        "impact": {
            "reach": review.impact_reach,
            "peak_mentions": review.impact_peak_mentions,
            "sentiment": review.impact_sentiment,
            "press": review.impact_press,
        },
        "sections": [{"field": name, "heading": heading, "text": text} for name, heading, text in review.sections()],
        **_publication_state(review),
        **history,
        "action_items": [
            {
                "id": item.pk,
                "title": item.title,
                "description": item.description,
                "owner": _user(item.owner),
                "due_date": item.due_date.isoformat(),
                "status": item.status,
                "priority": item.priority,
            }
            for item in sorted(items, key=lambda item: item.pk)
        ],
    }
    return record, [review.pk], [item.pk for item in items]


def _audit(targets: list[tuple[type, list]]) -> list[dict]:
    """The system audit trail of every row of the record (incident, statements, facts, tasks, alerts, review)."""
    condition = Q()
    for model, ids in targets:
        if ids:
            condition |= Q(target_type=ContentType.objects.get_for_model(model), target_id__in=[str(pk) for pk in ids])
    return [
        {
            "at": _time(row.at),
            "actor": _user(row.actor),
            "action": row.action,
            "target_type": row.target_type.model if row.target_type_id else None,
            "target_id": row.target_id,
            "target": row.target_repr,
            "from": row.from_state,
            "to": row.to_state,
            "comment": row.comment,
            "factor": _factor(row.data),
            "data": row.data,
        }
        for row in AuditRecord.objects.filter(condition).select_related("actor", "target_type").order_by("at", "pk")
    ]


def build_record(incident, *, viewer=None) -> dict:
    """Everything stored about ``incident``, for ``record.json`` and the PDF, as ``viewer`` may see it."""
    timeline = incident.timeline.select_related("author").order_by("created_at", "pk")
    facts = list(incident.facts.select_related("created_by", "verified_by").order_by("pk"))
    team = incident.memberships.select_related("user", "role", "added_by").order_by("added_at", "pk")
    tasks = _tasks(incident)
    alerts = _alerts(incident, viewer)
    statements = _statements(incident)
    postmortem, postmortem_ids, action_item_ids = _postmortem(incident)
    audit = _audit(
        [
            (type(incident), [incident.pk]),
            (Statement, [s["id"] for s in statements]),
            (Fact, [f.pk for f in facts]),
            (IncidentTask, [t["id"] for t in tasks]),
            (Alert, [a["id"] for a in alerts]),
            (PostmortemReview, postmortem_ids),
            (ActionItem, action_item_ids),
        ]
    )
    return {
        "schema": "crisisdesk.evidence-pack",
        "schema_version": SCHEMA_VERSION,
        "exported_at": _time(timezone.now()),
        "exercise": incident.is_exercise,
        "label": EXERCISE_LABEL if incident.is_exercise else None,
        "incident": {
            "reference": incident.reference,
            "title": incident.title,
            "summary": incident.summary,
            "status": incident.status,
            "severity": incident.severity,
            "category": incident.category,
            "confidential": incident.confidential,
            "is_exercise": incident.is_exercise,
            "lead": _user(incident.lead),
            "detected_at": _time(incident.detected_at),
            "created_at": _time(incident.created_at),
        },
        "team": [
            {
                "user": _user(m.user),
                "role": m.role.name,
                "added_by": _user(m.added_by),
                "added_at": _time(m.added_at),
            }
            for m in team
        ],
        "timeline": [
            {"at": _time(e.created_at), "kind": e.kind, "event": e.event, "body": e.body, "author": _user(e.author)}
            for e in timeline
        ],
        "facts": [
            {
                "id": f.pk,
                "claim": f.claim,
                "source": f.source,
                "status": f.status,
                "created_by": _user(f.created_by),
                "created_at": _time(f.created_at),
                "verified_by": _user(f.verified_by),
                "verified_at": _time(f.verified_at),
                "verification_note": f.verification_note,
            }
            for f in facts
        ],
        "statements": statements,
        "alerts": alerts,
        "tasks": tasks,
        "postmortem": postmortem,
        "audit": audit,
        "attachments": {"stored": False, "files": [], "note": ATTACHMENTS_NOTE},
    }
