"""Reads of the review engine: what a user may see of revisions, decisions and audit trails, and their queue.

Generic over every reviewable type (statements, key messages, later playbooks and
post-crisis reviews): an item type's visibility comes from its model manager's
``visible_to(user)`` when it has one (statements follow their incident's
confidentiality), otherwise from the model's view permission. The browser queue,
the API and the admin all build their lists from these functions, so a
confidential statement cannot leak through its revisions or its audit trail.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from operator import or_

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import capfirst

from . import services
from .models import (
    AuditEvent,
    Decision,
    Reviewable,
    ReviewDecision,
    ReviewRequest,
    ReviewRequestStatus,
    ReviewStatus,
    Revision,
)
from .policy import Requirement, policy_for


def reviewable_models() -> list[type[models.Model]]:
    """Every concrete model reviewed by the engine."""
    return [model for model in apps.get_models() if issubclass(model, Reviewable)]


def _view_permission(model) -> str:
    opts = model._meta
    return f"{opts.app_label}.view_{opts.model_name}"


def visible_items(model, user) -> QuerySet:
    """The items of ``model`` that ``user`` may read (``visible_to`` when the model defines it)."""
    manager = model._default_manager
    if hasattr(manager, "visible_to"):
        return manager.visible_to(user)
    if user.is_authenticated and user.is_active and user.has_perm(_view_permission(model)):
        return manager.all()
    return manager.none()


def retires(item_or_model) -> bool:
    """Withdrawing it retires it: an item that is used rather than published (a key message) is "retired".

    The same action and state (``withdrawn``) under another word, for the browser and the admin.
    """
    model = item_or_model if isinstance(item_or_model, type) else type(item_or_model)
    return not import_string(model.review_policy).publishable


def can_view_any_reviewable(user) -> bool:
    """Holds the view permission of at least one reviewable type: may open review lists at all."""
    return user.is_authenticated and any(user.has_perm(_view_permission(model)) for model in reviewable_models())


OPEN_REVIEWS_BADGE = "open_review_requests"


def open_review_requests_for(user) -> QuerySet | None:
    """Every open review round (visible or not: only "none at all" is read from it), ``None`` for who reviews nothing."""
    if not can_view_any_reviewable(user):
        return None
    return ReviewRequest.objects.filter(status=ReviewRequestStatus.OPEN)


def _visible_rows(queryset: QuerySet, user) -> QuerySet:
    """Rows of a table linked to items by (content_type, object_id), kept only where the item is visible."""
    conditions = [
        Q(content_type=ContentType.objects.get_for_model(model), object_id__in=visible_items(model, user).values("pk"))
        for model in reviewable_models()
    ]
    if not conditions:
        return queryset.none()
    return queryset.filter(reduce(or_, conditions))


def revisions_visible_to(user) -> QuerySet:
    return _visible_rows(Revision.objects.all(), user)


def decisions_visible_to(user) -> QuerySet:
    return _visible_rows(ReviewDecision.objects.all(), user)


def review_requests_visible_to(user) -> QuerySet:
    return _visible_rows(ReviewRequest.objects.all(), user)


def audit_events_visible_to(user) -> QuerySet:
    return _visible_rows(AuditEvent.objects.all(), user)


@dataclass(frozen=True)
class QueueEntry:
    """One item waiting for a reviewer's decision: the open review round and the approvals they could give.

    The browser queue, the navigation badge, the API and the admin all read these.
    """

    item: models.Model
    review_request: ReviewRequest
    requirements: tuple[Requirement, ...]

    @property
    def requirement(self) -> Requirement:
        """The approval the reviewer gives unless they say otherwise (the first one missing)."""
        return self.requirements[0]

    @property
    def submitted_at(self):
        return self.review_request.submitted_at

    @property
    def waiting_for(self) -> timedelta:
        return timezone.now() - self.review_request.submitted_at

    @property
    def kind(self) -> str:
        """The item's model name, as review URLs name it (``statement``, ``keymessage``)."""
        return self.item._meta.model_name

    @property
    def kind_label(self) -> str:
        return capfirst(self.item._meta.verbose_name)

    @property
    def item_type(self) -> str:
        """``app_label.model``, as the API names item types (``incidents.statement``)."""
        return self.item._meta.label_lower


def _queue_items(model, user, ids) -> QuerySet:
    """The visible items of ``model`` among ``ids`` that are in review, with what the queue reads of them."""
    queryset = (
        visible_items(model, user).filter(pk__in=ids, status=ReviewStatus.IN_REVIEW).select_related("current_revision")
    )
    incident = next((f for f in model._meta.get_fields() if f.name == "incident" and f.many_to_one), None)
    if incident is not None:
        # An incident's items: their policy asks about its team (confidentiality, the incident
        # lead's approval) and the queue shows the incident. Load every team once, not per row.
        # (Each membership with its role in the same query: the kernel names the team's model, not imports it.)
        membership = incident.related_model.memberships.rel.related_model
        queryset = queryset.select_related("incident").prefetch_related(
            Prefetch("incident__memberships", queryset=membership.objects.select_related("role"))
        )
    return queryset


def waiting_for(user) -> list[QueueEntry]:
    """Open review rounds waiting for ``user``'s decision, oldest first, in a flat number of queries.

    An entry is listed when the user may see the item, wrote none of its revisions, has not
    approved its current revision yet and holds a role for one of the approvals it still lacks:
    the same rule as ``services.available_actions`` offering "approve" (a test holds them
    together), evaluated for all open rounds at once, since the engine's per-item checks
    cost a few queries per row: the open rounds, one query per item type with open rounds
    (plus its prefetched teams), every type's revision authors together, the approvals.
    """
    if not can_view_any_reviewable(user):
        return []
    requests = list(
        ReviewRequest.objects.filter(status=ReviewRequestStatus.OPEN)
        .select_related("revision", "submitted_by")
        .order_by("submitted_at", "id")
    )
    wanted: dict[int, set[int]] = defaultdict(set)
    for request in requests:
        wanted[request.content_type_id].add(request.object_id)

    items: dict[tuple[int, int], models.Model] = {}
    editors: dict[tuple[int, int], set[int]] = defaultdict(set)
    loaded: list[Q] = []
    for content_type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None or not issubclass(model, Reviewable):
            continue
        rows = list(_queue_items(model, user, ids))
        for item in rows:
            items[(content_type_id, item.pk)] = item
            editors[(content_type_id, item.pk)].add(item.created_by_id)
        if rows:
            loaded.append(Q(content_type_id=content_type_id, object_id__in=[item.pk for item in rows]))
    if not items:
        return []
    # Whoever wrote any revision is an author too (four eyes): one query for every type (the navigation
    # badge builds this queue on every page while a round is open: a query per type cost each page).
    for content_type_id, object_id, editor_id in Revision.objects.filter(reduce(or_, loaded)).values_list(
        "content_type_id", "object_id", "created_by_id"
    ):
        editors[(content_type_id, object_id)].add(editor_id)

    approvals: dict[int, list[ReviewDecision]] = defaultdict(list)
    for decision in ReviewDecision.objects.filter(
        decision=Decision.APPROVE, revision_id__in=[item.current_revision_id for item in items.values()]
    ).order_by("created_at", "id"):
        approvals[decision.revision_id].append(decision)

    qualification_cache: dict = {}
    entries = []
    for request in requests:
        key = (request.content_type_id, request.object_id)
        item = items.get(key)
        if item is None or user.pk in editors[key]:
            continue
        givable = _givable_requirements(
            user, item, editors[key], approvals[item.current_revision_id], qualification_cache
        )
        if givable:
            entries.append(QueueEntry(item=item, review_request=request, requirements=tuple(givable)))
    return entries


def _givable_requirements(user, item, item_editors: set[int], approvals: list, cache: dict) -> list[Requirement]:
    """The engine's ``_approvable_requirement`` evaluated on the rows ``waiting_for`` loaded (every one, in order)."""
    policy = policy_for(item)
    revision = item.current_revision
    bound = [d for d in approvals if d.content_hash == revision.content_hash]
    if any(d.reviewer_id == user.pk for d in bound):
        return []  # one person counts once per revision
    qualifying = [r for r in policy.requirements(item) if _qualifies(policy, user, item, r, cache)]
    if not qualifying:
        return []
    if any(d.based_on_id for d in bound):
        # Inherited (key message) approvals have validity rules of their own: ask the engine.
        missing = services.missing_requirements(item, policy=policy)
    else:
        counted = [d for d in bound if d.reviewer_id not in item_editors]
        used: set[int] = set()
        missing = []
        for requirement in policy.requirements(item):
            match = next((d for d in counted if d.role == requirement.code and d.reviewer_id not in used), None)
            if match is None:
                missing.append(requirement)
            else:
                used.add(match.reviewer_id)
    missing_codes = {r.code for r in missing}
    givable = [r for r in qualifying if r.code in missing_codes]
    if not givable and not missing:
        return qualifying[:1]  # still in review with nothing missing (severity went down): confirm it
    return givable


# Requirements a person meets through their groups alone, whichever visible item it is: asked once per
# type. The others (the incident lead's approval) depend on the item and read its prefetched team.
_ITEM_DEPENDENT_REQUIREMENTS = {"incident_lead"}


def _qualifies(policy, user, item, requirement: Requirement, cache: dict) -> bool:
    if requirement.code in _ITEM_DEPENDENT_REQUIREMENTS:
        return policy.qualifies(user, item, requirement)
    key = (type(item), requirement.code)
    if key not in cache:
        cache[key] = policy.qualifies(user, item, requirement)
    return cache[key]
