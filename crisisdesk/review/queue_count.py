"""The review queue's count in the navigation bar, kept in the shared cache until review state changes.

Every page of a reviewer shows how many items wait for their decision. Counting means building
their queue (``selectors.waiting_for``: five queries, and the policies' Python), which during a
crisis — review rounds open all the time — every page of every reviewer would pay again.

The count is cached per person under a *generation* token: any write that can change anyone's
queue (a review round, a decision, a revision, a reviewed item, a kind's ``depends_on`` models
such as an incident and its crisis team, a person's groups or permissions) replaces the token at
once and again after its transaction commits, so the next page of every reviewer counts again.
The second time matters: a page that counted from the state before the commit, while the write
was in flight, stored its count under the first new token, which the commit retires. Each cached count also expires after ``TTL_SECONDS``, for what no write announces
(an inherited approval reaching the end of its validity).

The cached value is only the badge's number. The queue page itself (and every review action)
builds the queue from the database on each request, so nothing here decides who may see or do
what; the page hands its fresh count to the badge.
"""

import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

GENERATION_KEY = "review-queue:generation"
TTL_SECONDS = 60

_watched: set[type] = set()


def _user_key(user_id: int) -> str:
    return f"review-queue:count:{user_id}"


def new_generation() -> None:
    """Every cached count is stale from now on (called once the changing transaction has committed)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def _invalidate(**kwargs) -> None:
    if kwargs.get("raw"):  # loaddata: no live queue to keep in step with
        return
    # Now, for whoever reads inside this transaction, and again once it has committed: a count
    # another request computed from the state before the commit went under the first new token.
    new_generation()
    transaction.on_commit(new_generation)


def watch(*models: type) -> None:
    """Recompute every cached count after any save or delete of a row of ``models`` (idempotent)."""
    for model in models:
        if model in _watched:
            continue
        _watched.add(model)
        uid = f"review-queue-count:{model.__module__}.{model.__qualname__}"
        post_save.connect(_invalidate, sender=model, dispatch_uid=f"{uid}:save", weak=False)
        post_delete.connect(_invalidate, sender=model, dispatch_uid=f"{uid}:delete", weak=False)


def watch_people() -> None:
    """Who reviews what follows people's accounts, groups (roles) and permissions."""
    User = get_user_model()
    watch(User, Group)
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(
            _invalidate,
            sender=through,
            dispatch_uid=f"review-queue-count:m2m:{through._meta.label_lower}",
            weak=False,
        )


def cached_count(user, compute) -> int:
    """``user``'s queue count: the cached one when still current, else ``compute()``, stored for the next page."""
    key = _user_key(user.pk)
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    if generation is None:  # first use, or the cache was flushed: start a generation
        generation = uuid.uuid4().hex
        if not cache.add(GENERATION_KEY, generation, timeout=None):
            generation = cache.get(GENERATION_KEY) or generation
    stored = found.get(key)
    if stored is not None and stored[0] == generation:
        return stored[1]
    count = compute()
    cache.set(key, (generation, count), timeout=TTL_SECONDS)
    return count


def store(user, count: int) -> None:
    """The queue page's fresh count, for the badges of the pages that follow."""
    generation = cache.get(GENERATION_KEY)
    if generation is not None:
        cache.set(_user_key(user.pk), (generation, count), timeout=TTL_SECONDS)
