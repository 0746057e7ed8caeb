"""Review policies: per reviewable type, who must approve and who may act.

The engine (``crisisdesk.review.services``) owns the state machine and the
four-eyes rule; a policy only answers questions about one kind of item. A model
names its policy by dotted path in ``Reviewable.review_policy``.
"""

from dataclasses import dataclass
from functools import cache

from django.utils.module_loading import import_string

from crisisdesk.notifications.messages import render


@dataclass(frozen=True)
class Requirement:
    """One approval an item needs before it may go out, e.g. ``legal`` or ``incident_lead``.

    Each requirement is satisfied by a different person: one approval counts once.
    """

    code: str
    label: str


def has_explicit_perm(user, perm: str) -> bool:
    """The user holds ``perm`` through a group or directly, not merely by being a superuser.

    Approving is a role, not an administrative power: an administrator who is not
    in Legal cannot give the Legal approval.
    """
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    if not user.is_authenticated or not user.is_active:
        return False
    # Not user.get_group_permissions(): Django answers "all of them" for a superuser.
    if not user.is_superuser and isinstance(getattr(user, "_perm_cache", None), set):
        # A non-superuser's permission cache is exactly their own and their groups' permissions, read
        # this request (crisisdesk.userperms, or Django's ModelBackend): no query of its own.
        return perm in user._perm_cache
    app_label, codename = perm.split(".")
    return (
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        .filter(Q(group__user=user) | Q(user=user))
        .exists()
    )


class ReviewPolicy:
    """Base policy: subclasses say what is reviewed, who must approve and who may act."""

    #: Fields copied into every revision's snapshot (and hashed into ``content_hash``).
    content_fields: tuple[str, ...] = ()
    #: The public words: hashed into ``text_hash`` so verbatim reuse can be recognised.
    text_fields: tuple[str, ...] = ("title", "body", "body_format", "language")
    #: False for items that are used rather than published (key messages: approved is their live state).
    publishable: bool = True

    def content(self, item) -> dict:
        """The reviewable snapshot; must be JSON-serialisable and deterministic."""
        return {field: getattr(item, field) for field in self.content_fields}

    def public_text(self, item) -> dict:
        return {field: getattr(item, field) for field in self.text_fields}

    def requirements(self, item) -> list[Requirement]:
        raise NotImplementedError

    def qualifies(self, user, item, requirement: Requirement) -> bool:
        """May ``user`` give the approval ``requirement`` asks for (role only; four eyes is the engine's)?"""
        raise NotImplementedError

    def reviewers(self, item, requirement: Requirement):
        """Whom to notify when this approval is awaited."""
        return []

    def incident(self, item):
        """The incident whose timeline records the item's life, if any."""
        return None

    def can_view(self, user, item) -> bool:
        raise NotImplementedError

    def can(self, user, item, action: str) -> bool:
        """Permission for the author-side actions: edit, submit, publish, withdraw, record_url."""
        raise NotImplementedError

    def inherited_approvals(self, item, revision) -> list:
        """Approvals of another item this revision inherits (verbatim reuse). None by default."""
        return []

    def inherited_approval_valid(self, item, decision) -> bool:
        """Is an inherited approval still good (the source still approved, unexpired)?"""
        return False

    def check_publishable(self, item, revision) -> None:
        """Raise InvalidTransition / ValidationError when the item cannot go out as it is."""

    def on_published(self, item, *, actor) -> None:
        """Side effects of going public that belong in the same transaction (clocks)."""

    def record_event(self, item, event) -> None:
        """Mirror an audit event somewhere else in the same transaction (the incident timeline)."""

    def describe(self, item) -> str:
        return render(self.describe_message(item))

    def describe_message(self, item):
        """The item's label as a message (``crisisdesk.notifications.messages``) or plain text."""
        return str(item)


@cache
def _policy_class(path: str):
    return import_string(path)


def policy_for(item) -> ReviewPolicy:
    """The policy of an item's type, from the dotted path its model declares."""
    path = type(item).review_policy
    if not path:
        raise LookupError(f"{type(item).__name__} declares no review_policy")
    return _policy_class(path)()
