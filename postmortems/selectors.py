"""Reads of post-crisis reviews: the lessons library search, a review's timeline and statements, action item lists.

The library searches with PostgreSQL full-text search (``SearchVector`` / ``websearch``
``SearchQuery`` / ``SearchRank``, backed by a GIN index created by migration 0003 on PostgreSQL
only) and with a plain ``icontains`` on every word elsewhere (SQLite in development). Both
return the same thing: a queryset of published reviews the user may see, best match first.
"""

from django.db import connection
from django.db.models import F, Q, QuerySet

from crisisdesk.review.models import Action, ReviewStatus
from incidents.models import TimelineKind
from incidents.statements.models import Statement
from postmortems.models import ActionItem, PostmortemReview

# The fields the library searches, with their full-text weight (A most important).
SEARCH_FIELDS = (
    ("title", "A"),
    ("summary", "B"),
    ("lessons", "A"),
    ("root_causes", "B"),
    ("went_well", "C"),
    ("went_badly", "C"),
)
SEARCH_CONFIG = "english"

# Timeline kinds a review retells: the decisions and what changed the crisis's course.
REVIEW_TIMELINE_KINDS = (
    TimelineKind.OPENED,
    TimelineKind.DECISION,
    TimelineKind.ESCALATION,
    TimelineKind.STATUS_CHANGE,
    TimelineKind.SEVERITY_CHANGE,
)
# Statement entries worth retelling: the public ones.
PUBLIC_STATEMENT_ACTIONS = (Action.PUBLISH, Action.WITHDRAW)


def uses_full_text_search() -> bool:
    return connection.vendor == "postgresql"


def library(user, *, text: str = "", category: str = "", severity: int | None = None, year: int | None = None):
    """Published reviews ``user`` may see, filtered; with ``text``, best match first."""
    reviews = (
        PostmortemReview.objects.visible_to(user)
        .published()
        .select_related("incident", "published_by")
        .order_by("-published_at", "-id")
    )
    if category:
        reviews = reviews.filter(incident__category=category)
    if severity:
        reviews = reviews.filter(incident__severity=severity)
    if year:
        reviews = reviews.filter(incident__detected_at__year=year)
    text = (text or "").strip()
    if not text:
        return reviews
    if uses_full_text_search():
        return _full_text(reviews, text)
    return _contains_every_word(reviews, text)


def search_vector():
    """The weighted document; the same expression as the GIN index of migration 0003."""
    from django.contrib.postgres.search import SearchVector

    vector = None
    for name, weight in SEARCH_FIELDS:
        part = SearchVector(name, weight=weight, config=SEARCH_CONFIG)
        vector = part if vector is None else vector + part
    return vector


def _full_text(reviews: QuerySet, text: str) -> QuerySet:
    from django.contrib.postgres.search import SearchQuery, SearchRank

    query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    vector = search_vector()
    return (
        reviews.annotate(search=vector, rank=SearchRank(vector, query))
        .filter(search=query)
        .order_by("-rank", "-published_at", "-id")
    )


def _contains_every_word(reviews: QuerySet, text: str) -> QuerySet:
    for word in text.split():
        word = word.strip("\"'")
        if not word or word.lower() in ("or", "and") or word.startswith("-"):
            continue
        condition = Q()
        for name, _weight in SEARCH_FIELDS:
            condition |= Q(**{f"{name}__icontains": word})
        reviews = reviews.filter(condition)
    return reviews


def review_timeline(review_item: PostmortemReview):
    """The incident's decisions, status and severity changes, and public statement events, oldest first."""
    entries = review_item.incident.timeline.select_related("author").order_by("created_at", "id")
    return [
        entry
        for entry in entries
        if entry.kind in REVIEW_TIMELINE_KINDS
        or (entry.kind == TimelineKind.STATEMENT and entry.data.get("action") in PUBLIC_STATEMENT_ACTIONS)
    ]


def review_statements(review_item: PostmortemReview):
    """The incident's statements that went out, with when and by whom, in publishing order."""
    return (
        Statement.objects.filter(
            incident_id=review_item.incident_id, status__in=[ReviewStatus.PUBLISHED, ReviewStatus.WITHDRAWN]
        )
        .exclude(published_at__isnull=True)
        .select_related("published_by", "withdrawn_by")
        .order_by("published_at", "id")
    )


def action_items_of(user) -> QuerySet:
    """The action items ``user`` owns (of reviews they may still see), open ones first, earliest due first."""
    return (
        ActionItem.objects.visible_to(user)
        .filter(owner=user)
        .select_related("review__incident", "owner")
        .order_by(F("closed_at").asc(nulls_first=True), "due_date", "priority", "id")
    )


def overdue_action_items(user) -> QuerySet:
    """Open action items past their due date, of the reviews ``user`` may see."""
    return ActionItem.objects.visible_to(user).overdue().select_related("review__incident", "owner")


def all_action_items_closed(review_item: PostmortemReview, items) -> dict | None:
    """When every action item of a review is closed: ``{"count": n, "closed_at": last closure}``; else None."""
    items = list(items)
    if not items or any(not item.is_closed for item in items):
        return None
    return {"count": len(items), "closed_at": max(item.closed_at for item in items)}
