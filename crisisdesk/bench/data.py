"""The bench's data set: people in every role, incidents over three years with timelines and teams, mentions.

Written with COPY on PostgreSQL (batched INSERTs elsewhere), no signals, no ``save()``: 100,000 incidents
take a minute or two, 1,000,000 mentions a few minutes. Seeding can be repeated to grow the data set
(1k, then 100k): ids and reference numbers continue where the previous seed stopped.
"""

import itertools
import json
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, models, transaction

from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD
from incidents.models import (
    ACTIVE_STATUSES,
    Category,
    Channel,
    Incident,
    IncidentRole,
    Membership,
    ReferenceCounter,
    Severity,
    Status,
    TimelineEntry,
    TimelineKind,
)

BENCH_PASSWORD = "bench-password"  # noqa: S105 - throwaway users in a throwaway database

# How many people of each role the organisation has.
ROLE_HEADCOUNT = {COMMUNICATOR: 24, LEGAL: 6, TEAM_LEAD: 8, OBSERVER: 12}

# Most incidents are small; a few are critical.
SEVERITY_WEIGHTS = {Severity.CRITICAL: 4, Severity.HIGH: 16, Severity.MEDIUM: 45, Severity.LOW: 35}
CATEGORY_WEIGHTS = {
    Category.VIRAL_COMPLAINT: 30,
    Category.PRODUCT_DEFECT: 18,
    Category.SERVICE_OUTAGE: 14,
    Category.MISINFORMATION: 10,
    Category.OFFENSIVE_CONTENT: 8,
    Category.EXECUTIVE_CONDUCT: 4,
    Category.DATA_BREACH: 4,
    Category.LEGAL_REGULATORY: 5,
    Category.OTHER: 7,
}
# Incidents detected in the last RECENT_DAYS are still being worked on; older ones are mostly closed.
RECENT_DAYS = 21
RECENT_STATUS_WEIGHTS = {
    Status.DETECTED: 8,
    Status.INVESTIGATING: 14,
    Status.RESPONDING: 18,
    Status.MONITORING: 20,
    Status.RESOLVED: 22,
    Status.CLOSED: 18,
}
OLD_STATUS_WEIGHTS = {Status.RESOLVED: 6, Status.CLOSED: 94}
CONFIDENTIAL_SHARE = 0.08
EXERCISE_SHARE = 0.03
HISTORY_DAYS = 3 * 365

# The path an incident took to reach each status (the workflow allows shortcuts; these are typical).
STATUS_PATHS = {
    Status.DETECTED: [],
    Status.INVESTIGATING: [Status.INVESTIGATING],
    Status.RESPONDING: [Status.INVESTIGATING, Status.RESPONDING],
    Status.MONITORING: [Status.INVESTIGATING, Status.RESPONDING, Status.MONITORING],
    Status.RESOLVED: [Status.INVESTIGATING, Status.RESPONDING, Status.MONITORING, Status.RESOLVED],
    Status.CLOSED: [Status.INVESTIGATING, Status.RESPONDING, Status.MONITORING, Status.RESOLVED, Status.CLOSED],
}

SUBJECTS = [
    "blender jar",
    "delivery delay",
    "app outage",
    "store manager",
    "recall rumour",
    "loyalty points",
    "price error",
    "customer data",
    "advert",
    "CEO interview",
    "supplier",
    "packaging",
]
EVENTS = [
    "Viral video about the {s}",
    "Influencer thread on the {s}",
    "Press enquiry about the {s}",
    "Boycott call over the {s}",
    "Fake screenshot of the {s}",
    "Angry review storm: {s}",
    "Forum leak about the {s}",
    "TV segment on the {s}",
]
NOTES = [
    "Legal reviewed the holding statement.",
    "Customer care moved the conversation to DMs.",
    "Mentions are slowing down.",
    "Decision: no comment until the facts are confirmed.",
    "Spokesperson briefed.",
    "Posted the approved reply on X and Facebook.",
    "Journalist called back; sent the statement.",
    "Le service client a repris contact avec la cliente.",
]


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def clamp(moment: datetime, now: datetime) -> datetime:
    return min(moment, now)


# --- bulk writing ------------------------------------------------------------------


def _column_values(model, rows: Iterable[dict], now: datetime) -> tuple[list[str], Iterator[list]]:
    """Turn row dicts into column lists; fields a row leaves out get their default (or ``now`` for auto times)."""
    rows = iter(rows)
    first = next(rows)
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.attname not in first)]
    defaults = {}
    for field in fields:
        if field.attname in first:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults[field.attname] = now
        elif field.has_default():
            defaults[field.attname] = field.get_default()
        elif not field.null and field.empty_strings_allowed:
            defaults[field.attname] = ""  # a blank text field, as the ORM would save it
        else:
            defaults[field.attname] = None
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    vendor_prep = connection.vendor != "postgresql"

    def values(row: dict) -> list:
        out = []
        for field in fields:
            value = row.get(field.attname, defaults.get(field.attname))
            if field.attname in json_fields and value is not None:
                value = json.dumps(value)
            elif vendor_prep and value is not None:
                value = field.get_db_prep_save(value, connection)
            out.append(value)
        return out

    return [f.column for f in fields], (values(row) for row in itertools.chain([first], rows))


def bulk_insert(model, rows: Iterable[dict], *, now: datetime, batch_size: int = 20_000) -> int:
    """Insert many rows fast: COPY on PostgreSQL, batched INSERTs elsewhere. No signals, no ``save()``."""
    columns, values = _column_values(model, rows, now)
    table = connection.ops.quote_name(model._meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
                    count += 1
        else:
            # Table and column names come from the models (quoted), never from input.
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})"  # noqa: S608
            while batch := list(itertools.islice(values, batch_size)):
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


# --- the data set ------------------------------------------------------------------------


def bench_users() -> dict[str, list]:
    """The users an earlier ``seed_users`` made, by role (to grow a data set without new people)."""
    User = get_user_model()
    return {
        group: list(User.objects.filter(groups__name=group, username__startswith="bench-").order_by("username"))
        for group in ROLE_HEADCOUNT
    }


def seed_users() -> dict[str, list]:
    """People in every global role; the first communicator and team lead are the bench's logins."""
    User = get_user_model()
    password = make_password(BENCH_PASSWORD)
    by_role: dict[str, list] = {}
    for group_name, headcount in ROLE_HEADCOUNT.items():
        slug = group_name.lower().replace(" ", "-")
        users = User.objects.bulk_create(
            [
                User(username=f"bench-{slug}-{n:02d}", email=f"{slug}{n}@bench.example", password=password)
                for n in range(headcount)
            ]
        )
        group = Group.objects.get(name=group_name)
        User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=group.pk) for u in users])
        by_role[group_name] = users
    return by_role


def seed_incidents(*, count: int, users: dict[str, list], rng: random.Random, now: datetime) -> dict[str, int]:
    """``count`` incidents over three years with their timelines and crisis teams, written with COPY."""
    communicators = [u.pk for u in users[COMMUNICATOR]]
    leads = [u.pk for u in users[TEAM_LEAD]]
    legal = [u.pk for u in users[LEGAL]]
    roles = {role.code: role.pk for role in IncidentRole.objects.all()}
    channels = list(Channel.values)

    # References are numbered per year in detection order, as the service would have allocated them.
    detected = sorted(now - timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400)) for _ in range(count))
    first_id = (Incident.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1
    # A second seed (growing 1k to 100k) continues each year's numbering.
    numbers: Counter = Counter(dict(ReferenceCounter.objects.values_list("year", "last_number")))
    incidents, timeline, memberships = [], [], []
    for offset, detected_at in enumerate(detected):
        pk = first_id + offset
        numbers[detected_at.year] += 1
        recent = now - detected_at < timedelta(days=RECENT_DAYS)
        status = weighted(rng, RECENT_STATUS_WEIGHTS if recent else OLD_STATUS_WEIGHTS)
        severity = weighted(rng, SEVERITY_WEIGHTS)
        creator = rng.choice(communicators)
        lead = rng.choice(leads) if severity <= Severity.HIGH or rng.random() < 0.6 else None
        confidential = rng.random() < CONFIDENTIAL_SHARE

        # The clocks, in order; never in the future.
        times = {}
        moment = detected_at
        for step in STATUS_PATHS[status]:
            moment = clamp(moment + timedelta(minutes=rng.uniform(5, 60 * (24 if step == Status.CLOSED else 6))), now)
            times[step] = moment
        acknowledged_at = times.get(Status.INVESTIGATING)
        first_response = times.get(Status.RESPONDING)
        subject = rng.choice(SUBJECTS)
        incidents.append(
            {
                "id": pk,
                "reference": f"{settings.INCIDENT_REFERENCE_PREFIX}-{detected_at.year}-{numbers[detected_at.year]:04d}",
                "title": rng.choice(EVENTS).format(s=subject),
                "summary": f"First seen on {rng.choice(channels)}; {rng.randint(20, 20000)} shares so far.",
                "category": weighted(rng, CATEGORY_WEIGHTS),
                "severity": severity,
                "status": status,
                "source": f"https://social.example/post/{rng.randint(10**6, 10**9)}",
                "affected_channels": rng.sample(channels, rng.randint(1, 3)),
                "confidential": confidential,
                "is_exercise": rng.random() < EXERCISE_SHARE,
                "lead_id": lead,
                "created_by_id": creator,
                "detected_at": detected_at,
                "acknowledged_at": acknowledged_at,
                "first_public_response_at": first_response,
                "resolved_at": times.get(Status.RESOLVED),
                "closed_at": times.get(Status.CLOSED),
                "created_at": detected_at,
                "updated_at": moment,
            }
        )

        timeline.append(
            {
                "incident_id": pk,
                "kind": TimelineKind.OPENED,
                "body": f"Incident opened at severity {severity}.",
                "author_id": creator,
                "data": {"severity": severity, "status": Status.DETECTED},
                "created_at": detected_at,
            }
        )
        previous = Status.DETECTED
        for step, at in times.items():
            timeline.append(
                {
                    "incident_id": pk,
                    "kind": TimelineKind.STATUS_CHANGE,
                    "body": f"Status changed from {Status(previous).label} to {Status(step).label}.",
                    "author_id": lead or creator,
                    "data": {"from": previous, "to": step, "comment": ""},
                    "created_at": at,
                }
            )
            previous = step
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            timeline.append(
                {
                    "incident_id": pk,
                    "kind": TimelineKind.NOTE,
                    "body": rng.choice(NOTES),
                    "author_id": creator,
                    "data": {},
                    "created_at": clamp(detected_at + timedelta(minutes=rng.uniform(1, 600)), now),
                }
            )

        team = {(creator, roles["communications"])}
        if lead:
            team.add((lead, roles["lead"]))
        if confidential or severity <= Severity.HIGH:
            team.add((rng.choice(legal), roles["legal"]))
        memberships.extend(
            {"incident_id": pk, "user_id": user_id, "role_id": role_id, "added_by_id": creator, "added_at": detected_at}
            for user_id, role_id in team
        )

    with transaction.atomic():
        bulk_insert(Incident, incidents, now=now)
        bulk_insert(TimelineEntry, timeline, now=now)
        bulk_insert(Membership, memberships, now=now)
        for year, last in numbers.items():
            ReferenceCounter.objects.update_or_create(year=year, defaults={"last_number": last})
        if connection.vendor == "postgresql":
            # Rows were written with explicit ids: move the identity sequence past them.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('incidents_incident', 'id'), "
                    "(SELECT MAX(id) FROM incidents_incident))"
                )
    return {"incidents": len(incidents), "timeline entries": len(timeline), "memberships": len(memberships)}


def seed_long_timeline(incident: Incident, *, count: int, rng: random.Random, now: datetime) -> int:
    """``count`` more notes on one incident, spread from its detection to now: the war room of a long crisis."""
    span = max((now - incident.detected_at).total_seconds(), 60)
    author = incident.lead_id or incident.created_by_id
    rows = (
        {
            "incident_id": incident.pk,
            "kind": TimelineKind.NOTE,
            "body": rng.choice(NOTES),
            "author_id": author,
            "data": {},
            "created_at": incident.detected_at + timedelta(seconds=span * (n + 1) / (count + 1)),
        }
        for n in range(count)
    )
    with transaction.atomic():
        return bulk_insert(TimelineEntry, rows, now=now)


# --- mentions -------------------------------------------------------------------------------

PLATFORMS = ("x", "facebook", "instagram", "tiktok", "bluesky", "news")
MENTION_WORDS = ["Acme", "blender", "jar", "soup", "store", "delivery", "refund", "support", "app", "price"]
MENTION_TONES = [
    ("dangerous, cracked!", "negative", -0.7),
    ("great service, thanks", "positive", 0.6),
    ("at the shop today", "neutral", 0.0),
    ("worst brand ever", "negative", -0.9),
    ("love it", "positive", 0.8),
]
MENTION_STATUS_WEIGHTS = {"new": 30, "triaged": 40, "ignored": 25, "escalated": 5}


def seed_mentions(*, count: int, rng: random.Random, now: datetime, days: int = 90) -> int:
    """``count`` mentions over ``days`` days, streamed into COPY (never all in memory); a few linked to incidents."""
    from incidents.listening.models import Mention, MentionStatus

    statuses = {s: w for s, w in MENTION_STATUS_WEIGHTS.items() if s in MentionStatus.values}
    incident_ids = list(
        Incident.objects.filter(confidential=False).order_by("-detected_at").values_list("id", flat=True)[:200]
    )
    start = (Mention.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1

    def rows():
        for n in range(count):
            text, label, score = rng.choice(MENTION_TONES)
            status = weighted(rng, statuses)
            posted = now - timedelta(seconds=rng.uniform(60, days * 86400))
            yield {
                "id": start + n,
                "platform": rng.choice(PLATFORMS),
                "external_id": f"seed-{start + n}",
                "url": f"https://social.example/p/{start + n}",
                "author": f"@user{rng.randrange(200_000)}",
                "audience": rng.randrange(50_000),
                "text": f"{rng.choice(MENTION_WORDS)} {rng.choice(MENTION_WORDS)} Acme {text}",
                "language": "en",
                "posted_at": posted,
                "sentiment": score,
                "sentiment_label": label,
                "status": status,
                "incident_id": rng.choice(incident_ids) if status == "escalated" and incident_ids else None,
                "received_at": posted,
                "updated_at": posted,
            }

    with transaction.atomic():
        written = bulk_insert(Mention, rows(), now=now)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = Mention._meta.db_table
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM "  # noqa: S608 - model's table
                    + connection.ops.quote_name(table)
                    + "))",
                    [table],
                )
    return written


# --- statements waiting for review -----------------------------------------------------------


def seed_reviews(*, count: int) -> int:
    """Up to ``count`` holding statements in review on the latest active incidents, through the services.

    Each is drafted and submitted by the incident's communications member, so the review queue of
    Legal (and of the lead) has rows, as during a crisis. Returns how many were submitted.
    """
    from crisisdesk.review import services as review
    from incidents.statements import services as statements

    roles = IncidentRole.objects.filter(code="communications")
    incidents = Incident.objects.filter(status__in=ACTIVE_STATUSES, confidential=False).order_by("-detected_at")
    submitted = 0
    for incident in incidents[:count]:
        member = incident.memberships.filter(role__in=roles).select_related("user").first()
        if member is None:
            continue
        with transaction.atomic():
            statement = statements.statement_create(
                actor=member.user,
                incident=incident,
                channels=list(incident.affected_channels)[:2] or [Channel.values[0]],
                title=f"Holding statement on {incident.reference}",
                body="We are aware of the posts and are looking into it. We will share an update within the hour.",
            )
            review.review_submit(actor=member.user, item=statement, comment="Ready for Legal.")
        submitted += 1
    return submitted
