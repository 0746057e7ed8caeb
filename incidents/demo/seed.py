"""Play the demo crises (``loader``) through the services; also the demo mentions and the integration key.

Everything is written through ``incidents.services`` so the timelines, facts and
clocks are exactly what a real team would have produced. To spread the clocks
over hours and days, the seeder moves ``timezone.now`` while it calls the
services (``unittest.mock`` rather than time-machine, which is only a dev
dependency and ``make demo`` installs only requirements.txt).

Statements drafted from a key message name it by its demo key: the key messages are seeded
by playbooks' step, before this one, and handed over in ``context.produced["key_messages"]``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from unittest import mock

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from crisisdesk import demo
from crisisdesk.review import services as review
from crisisdesk.review.models import AuditEvent, Reviewable, ReviewDecision, ReviewRequest, ReviewStatus, Revision
from crisisdesk.roles import TEAM_LEAD
from incidents import services
from incidents.demo.loader import (  # noqa: F401 - minutes, note and Step are re-exported for scripts and tests
    DemoIncident,
    Step,
    check_script,
    load_incidents,
    load_mentions,
    minutes,
    note,
)
from incidents.demo.steps import INCIDENTS_STEP
from incidents.demo.users import DEMO_USERNAMES, DEMO_USERS, DemoUser, ensure_users  # noqa: F401 - re-exported
from incidents.listening import services as mention_services
from incidents.listening.parsing import parse_batch
from incidents.models import Fact, Incident, IncidentRole, ReferenceCounter
from incidents.statements import services as statement_services
from incidents.statements.models import Statement, StatementPublication

DEMO_INCIDENTS: tuple[DemoIncident, ...] = load_incidents()


class _Clock:
    """A stand-in for ``timezone.now`` that the seeder moves forward step by step."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def demo_incidents() -> QuerySet[Incident]:
    """Incidents that belong to the demo: every seeded one was opened by a demo user."""
    return Incident.objects.filter(created_by__username__in=DEMO_USERNAMES)


def is_seeded() -> bool:
    return demo_incidents().exists()


def delete_reviewed(model, ids: list[int]) -> None:
    """Delete reviewed items and their review rows, in the order their PROTECT links allow.

    Revisions, decisions and audit events are append-only (database triggers): deleting them with the
    demo they belong to passes only inside ``crisisdesk.audit.purge.purge_permitted``, which
    ``seed_demo --reset`` holds while the reset steps run.
    """
    content_type = ContentType.objects.get_for_model(model)
    rows = {"content_type": content_type, "object_id__in": ids}
    AuditEvent.objects.filter(**rows).delete()
    # Inherited approvals point at the key message approval they copy: those go first.
    ReviewDecision.objects.filter(based_on__content_type=content_type, based_on__object_id__in=ids).delete()
    ReviewDecision.objects.filter(**rows).delete()
    ReviewRequest.objects.filter(**rows).delete()
    if model is Statement:
        StatementPublication.objects.filter(statement__in=ids).delete()
    model.objects.filter(pk__in=ids).delete()
    Revision.objects.filter(**rows).delete()


def reset() -> int:
    """Delete the demo incidents (timeline, team, facts, statements and other reviewed items go with them).

    Returns how many incidents were deleted. The demo key messages are playbooks' to delete
    (its reset runs after this one: statements, which point at them, are gone by then).
    """
    count = demo_incidents().count()
    # Items reviewed per incident (statements, post-crisis reviews…): their review rows protect the incident.
    # Statements first: they point at the key messages they were drafted from.
    per_incident = sorted(
        (
            model
            for model in apps.get_models()
            if issubclass(model, Reviewable) and any(f.name == "incident" for f in model._meta.get_fields())
        ),
        key=lambda model: model is not Statement,
    )
    for model in per_incident:
        delete_reviewed(model, list(model.objects.filter(incident__in=demo_incidents()).values_list("pk", flat=True)))
    demo_incidents().delete()
    if not Incident.objects.exists():
        # Nothing left to refer to, so numbering may start again at 0001 rather than after the wiped ones.
        ReferenceCounter.objects.all().delete()
    return count


def _seed_incident(
    spec: DemoIncident, users: dict, roles: dict, clock: _Clock, now: datetime, key_messages: dict | None = None
) -> Incident:
    check_script(spec)
    detected_at = now - spec.detected_ago
    clock.at = detected_at + spec.opened_after
    incident = services.incident_open(
        actor=users[spec.opened_by],
        title=spec.title,
        summary=spec.summary,
        category=spec.category,
        severity=spec.severity,
        source=spec.source,
        affected_channels=spec.channels,
        confidential=spec.confidential,
        is_exercise=spec.is_exercise,
        detected_at=detected_at,
        lead=users[spec.lead] if spec.lead else None,
    )
    facts: dict[str, Fact] = {}
    statements: dict[str, Statement] = {}
    # One story in time order; on a tie the incident's own step comes first (sorted() is stable).
    for step in sorted([*spec.steps, *spec.statements], key=lambda step: step.at):
        clock.at = detected_at + step.at
        _ACTIONS[step.action](
            incident=incident,
            actor=users[step.actor],
            users=users,
            roles=roles,
            facts=facts,
            statements=statements,
            key_messages=key_messages or {},
            spec=spec,
            **step.args,
        )
    incident.refresh_from_db()
    return incident


def _note(*, incident, actor, body, kind, **_):
    services.timeline_add_note(actor=actor, incident=incident, body=body, kind=kind)


def _status(*, incident, actor, to_status, comment, **_):
    services.incident_change_status(actor=actor, incident=incident, to_status=to_status, comment=comment)


def _severity(*, incident, actor, severity, comment, **_):
    services.incident_set_severity(actor=actor, incident=incident, severity=severity, comment=comment)


def _lead(*, incident, actor, users, lead, **_):
    services.incident_set_lead(actor=actor, incident=incident, lead=users[lead])


def _member(*, incident, actor, users, roles, user, role, spec, **_):
    if role not in roles:
        raise demo.DemoDataError(f"{spec.key or spec.title!r}: {role!r} is not an incident role: {', '.join(roles)}")
    services.membership_add(actor=actor, incident=incident, user=users[user], role=roles[role])


def _fact(*, incident, actor, facts, key, claim, source, **_):
    facts[key] = services.fact_add(actor=actor, incident=incident, claim=claim, source=source)


def _verify(*, actor, facts, key, status, **rest):
    # (``note`` would shadow the re-exported step helper.)
    facts[key] = services.fact_verify(actor=actor, fact=facts[key], status=status, note=rest["note"])


def _draft(
    *, incident, actor, facts, statements, key_messages, key, cites, from_key_message, users, roles, spec, **fields
):
    # ``fields``: channels, title, body and the optional language, audience, body_format of the script.
    if from_key_message and from_key_message not in key_messages:
        raise demo.DemoDataError(
            f"{spec.key or spec.title!r}: statement {key!r} starts from key message {from_key_message!r}, "
            f"which no earlier demo step produced (known: {', '.join(key_messages) or 'none'})."
        )
    statements[key] = statement_services.statement_create(
        actor=actor,
        incident=incident,
        facts=[facts[fact] for fact in cites],
        from_key_message=key_messages[from_key_message] if from_key_message else None,
        **fields,
    )


def _current(statements: dict, key: str) -> Statement:
    # Re-read: the engine locks and re-reads rows, and the previous step changed this one.
    return Statement.objects.select_related("current_revision").get(pk=statements[key].pk)


def _edit(*, actor, statements, key, comment, changes, **_):
    statement_services.statement_update(actor=actor, statement=_current(statements, key), comment=comment, **changes)


def _submit(*, actor, statements, key, comment, **_):
    statement = _current(statements, key)
    if statement.status == ReviewStatus.IN_REVIEW:
        return  # reused verbatim at severity 1: the engine already sent it to the lead
    review.review_submit(actor=actor, item=statement, comment=comment)


def _approve(*, actor, statements, key, comment, **_):
    statement = _current(statements, key)
    review.review_approve(actor=actor, item=statement, revision=statement.current_revision, comment=comment)


def _request_changes(*, actor, statements, key, comment, **_):
    review.review_request_changes(actor=actor, item=_current(statements, key), comment=comment)


def _reject(*, actor, statements, key, comment, **_):
    review.review_reject(actor=actor, item=_current(statements, key), comment=comment)


def _publish(*, actor, statements, key, **_):
    review.review_publish(actor=actor, item=_current(statements, key))


def _live_url(*, actor, statements, key, channel, url, **_):
    statement_services.statement_record_url(actor=actor, statement=_current(statements, key), channel=channel, url=url)


def _withdraw(*, actor, statements, key, reason, **_):
    review.review_withdraw(actor=actor, item=_current(statements, key), reason=reason)


_ACTIONS: dict[str, Callable] = {
    "note": _note,
    "status": _status,
    "severity": _severity,
    "lead": _lead,
    "member": _member,
    "fact": _fact,
    "verify": _verify,
    "draft": _draft,
    "edit": _edit,
    "submit": _submit,
    "approve": _approve,
    "request_changes": _request_changes,
    "reject": _reject,
    "publish": _publish,
    "live_url": _live_url,
    "withdraw": _withdraw,
}


@transaction.atomic
def play_incidents(*, users: dict, now: datetime, key_messages: dict) -> list[Incident]:
    """Every scripted crisis, through the services, with the clock moved to each step.

    Oldest first, so references are handed out in order of detection, as they would have
    been in real life.
    """
    roles = {role.code: role for role in IncidentRole.objects.all()}
    clock = _Clock(now)
    created = []
    with mock.patch("django.utils.timezone.now", new=clock):
        for spec in sorted(DEMO_INCIDENTS, key=lambda s: s.detected_ago, reverse=True):
            # System lines (status changes, facts…) are written in the crisis's own language.
            with translation.override(spec.language):
                created.append(_seed_incident(spec, users, roles, clock, now, key_messages))
    return created


@transaction.atomic
def seed_incidents(*, users: dict, now: datetime | None = None) -> list[Incident]:
    """The demo scenario up to the crises: the one-off steps before them (the key messages), then every crisis.

    For tests and scripts that want the crises without the rest of ``seed_demo``.
    """
    context = demo.DemoContext(users=users, now=(now or timezone.now()).replace(second=0, microsecond=0))
    demo.run(context, [step for step in demo.steps() if step.once and step.order <= INCIDENTS_STEP])
    return context.produced["incidents"]


# --- social listening (issue 7) -------------------------------------------------------------------------------------

DEMO_MENTION_PLATFORM = "demo"
DEMO_KEY_NAME = "Demo monitoring tool"


def fresh_integration_key() -> str:
    """A new integration key for the demo's monitoring tool (acting as the team lead); the previous one is revoked.

    The raw key is only known when it is created, so each run makes one to print.
    """
    from crisisdesk.apikeys.models import APIKey
    from crisisdesk.apikeys.services import apikey_create, apikey_revoke

    User = get_user_model()
    lead = User.objects.get(username="lead")
    for key in APIKey.objects.active().filter(name=DEMO_KEY_NAME, created_by=lead):
        apikey_revoke(actor=lead, key=key)
    _, raw_key = apikey_create(actor=lead, name=DEMO_KEY_NAME, scopes=["ingest", "read", "write"])
    return raw_key


def seed_mentions(*, users: dict[str, object], seed: int = 7) -> int:
    """Watch terms, a spike rule and a week of mentions with a negative burst linked to an active incident.

    What is watched and posted comes from ``mentions.yaml``. Idempotent: mentions are keyed on
    the ``demo`` platform, so a second run updates them. Returns how many mentions were stored.
    """
    from incidents.listening.models import Mention, SpikeRule, WatchTerm
    from incidents.listening.spikes import spikes_evaluate

    data = load_mentions()
    rng = random.Random(seed)
    lead = next((u for u in users.values() if u.groups.filter(name=TEAM_LEAD).exists()), None)
    for term, kind in data.watch_terms.items():
        if not WatchTerm.objects.filter(term__iexact=term).exists():
            WatchTerm.objects.create(term=term, kind=kind, created_by=lead)
    watched = WatchTerm.objects.get(term__iexact=data.spike_rule["term"])
    SpikeRule.objects.update_or_create(
        name=data.spike_rule["name"],
        defaults={
            "default_category": data.spike_rule["default_category"],
            "default_severity": data.spike_rule["default_severity"],
        },
        create_defaults={
            "watch_term": watched,
            "min_count": data.spike_rule["min_count"],
            "created_by": lead,
            "default_category": data.spike_rule["default_category"],
            "default_severity": data.spike_rule["default_severity"],
        },
    )
    now = timezone.now()
    quiet, angry = list(data.quiet), list(data.burst)
    items = []
    for n in range(data.quiet_count):
        items.append(
            {
                "platform": DEMO_MENTION_PLATFORM,
                "external_id": f"quiet-{n}",
                "text": rng.choice(quiet),
                "posted_at": (now - timedelta(hours=rng.uniform(2, 8 * 24))).isoformat(),
                "author": f"@fan{rng.randrange(500)}",
                "audience": rng.randrange(20, 5000),
            }
        )
    for n in range(data.burst_count):
        items.append(
            {
                "platform": DEMO_MENTION_PLATFORM,
                "external_id": f"burst-{n}",
                "text": rng.choice(angry),
                "posted_at": (now - timedelta(minutes=rng.uniform(1, 55))).isoformat(),
                "author": f"@upset{rng.randrange(200)}",
                "audience": rng.randrange(100, 250_000),
                "url": f"https://example.org/demo/{n}",
            }
        )
    mentions, errors = parse_batch(items)
    if errors:
        raise ValueError(errors)
    result = mention_services.mentions_ingest(mentions=mentions, source="demo")
    # The burst fires the rule now (whether or not a worker is running): the dashboard shows an alert to handle.
    spikes_evaluate(term_ids=[watched.pk])
    active = demo_incidents().active().filter(confidential=False).order_by("-detected_at").first()
    admin = next((u for u in users.values() if u.is_superuser), None)
    if active is not None and admin is not None:
        burst = list(Mention.objects.filter(platform=DEMO_MENTION_PLATFORM, external_id__startswith="burst-")[:20])
        mention_services.mentions_link_incident(actor=admin, mentions=burst, incident=active)
    return result.stored
