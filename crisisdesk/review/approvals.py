"""Reads of the review engine's approval rules: who wrote an item, which approvals its revision has and lacks.

The four-eyes rule and the requirement matching the state machine in ``crisisdesk.review.services``
relies on (and re-exports: ``services.editor_ids``, ``services.missing_requirements``).
"""

from django.contrib.contenttypes.models import ContentType

from .models import Decision, ReviewDecision, Revision
from .policy import Requirement, ReviewPolicy, policy_for


def content_type_of(item) -> ContentType:
    return ContentType.objects.get_for_model(type(item))


def editor_ids(item) -> set[int]:
    """Everyone who wrote any revision of the item, and its author: none of them may approve it."""
    ids = set(
        Revision.objects.filter(content_type=content_type_of(item), object_id=item.pk).values_list(
            "created_by_id", flat=True
        )
    )
    ids.add(item.created_by_id)
    return ids


def approvals_of(item, revision) -> list[ReviewDecision]:
    return list(
        ReviewDecision.objects.filter(
            content_type=content_type_of(item),
            object_id=item.pk,
            revision=revision,
            content_hash=revision.content_hash,
            decision=Decision.APPROVE,
        ).order_by("created_at", "id")
    )


def missing_requirements(item, *, policy: ReviewPolicy | None = None) -> list[Requirement]:
    """Approvals the item's current revision still lacks, re-checked from scratch.

    An approval counts when it is bound to the current revision and its exact hash,
    its reviewer wrote no revision of the item (four eyes), an inherited one is still
    valid, and no single reviewer counts for two requirements.
    """
    policy = policy or policy_for(item)
    requirements = policy.requirements(item)
    revision = item.current_revision
    if revision is None:
        return requirements
    editors = editor_ids(item)
    approvals = [
        decision
        for decision in approvals_of(item, revision)
        if decision.reviewer_id not in editors
        and (decision.based_on_id is None or policy.inherited_approval_valid(item, decision))
    ]
    used: set[int] = set()
    missing = []
    for requirement in requirements:
        match = next((d for d in approvals if d.role == requirement.code and d.reviewer_id not in used), None)
        if match is None:
            missing.append(requirement)
        else:
            used.add(match.reviewer_id)
    return missing
