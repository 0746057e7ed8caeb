"""The navigation bar's counts (the bell, the alerts badge, whether anything awaits review) in one query.

Every page's header shows a few counts, each over its own table and visibility rule. Counted one
by one they cost a query each on every page; here each app registers a badge — a function giving
the queryset to count for a user, or ``None`` when that user never sees the badge — and the first
badge a template reads runs one ``SELECT`` with a scalar subquery per badge (anchored on the
user's own row), memoised on the request. The kernel knows no app: apps register their badges in
``AppConfig.ready``.
"""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import F, Func, IntegerField, QuerySet, Subquery

_BADGES: dict[str, Callable[..., QuerySet | None]] = {}
REQUEST_ATTRIBUTE = "_crisisdesk_badge_counts"


def register_badge(name: str, queryset_for: Callable[..., QuerySet | None]) -> None:
    """``queryset_for(user)`` → the rows the badge counts, or ``None`` when the user does not see it."""
    _BADGES[name] = queryset_for


def count_subquery(queryset: QuerySet) -> Subquery:
    """``(SELECT COUNT(pk) FROM …)`` of ``queryset``, usable as an annotation of another query."""
    return Subquery(queryset.order_by().values(n=Func(F("pk"), function="COUNT")), output_field=IntegerField())


def badge_counts(request) -> dict[str, int]:
    """Every registered badge's count for the signed-in user (0 where they do not see it), one query per request."""
    counts = getattr(request, REQUEST_ATTRIBUTE, None)
    if counts is not None:
        return counts
    user = getattr(request, "user", None)
    counts = dict.fromkeys(_BADGES, 0)
    if user is not None and user.is_authenticated:
        querysets = {name: queryset_for(user) for name, queryset_for in _BADGES.items()}
        # Prefixed: a badge's name must not clash with a field of the user model ("notifications").
        subqueries = {
            f"badge_{name}": count_subquery(queryset)
            for name, queryset in querysets.items()
            if queryset is not None and not queryset.query.is_empty()
        }
        if subqueries:
            row = get_user_model()._base_manager.filter(pk=user.pk).values(**subqueries).first() or {}
            counts.update({name: row.get(f"badge_{name}") or 0 for name in querysets if f"badge_{name}" in subqueries})
    setattr(request, REQUEST_ATTRIBUTE, counts)
    return counts


def badge_count(request, name: str) -> int:
    return badge_counts(request).get(name, 0)
