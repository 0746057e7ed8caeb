"""The kinds of reviewed items the review engine's pages know, registered by the apps that own them.

The engine imports no app (Wagtail-style registry). Each app describes its reviewable
models with a ``ReviewableKind`` (subclassed where the defaults do not fit) and registers it
in its ``AppConfig.ready()``: ``registry.register(StatementKind())`` in ``IncidentsConfig``,
the kind itself living with its model (``incidents/statements/review.py``).

A kind's ``slug`` is the ``<kind>`` of ``/reviews/<kind>/<pk>/``; ``kind_of(item)`` finds an
item's kind for its links and buttons. The system check ``review.E001``
(``crisisdesk.review.checks``) refuses a concrete ``Reviewable`` model without a kind.
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.translation import gettext as _

from . import queue_count, selectors
from .models import Action


@dataclass(frozen=True)
class ReviewableKind:
    """How the browser finds, names and links one kind of reviewed item (the ``<kind>`` in review URLs).

    Subclass it (a frozen dataclass too) to give defaults to the fields and override the
    methods where a kind differs: ``url()`` and ``transition_url()`` default to the model's
    ``get_absolute_url()`` and ``get_transition_url()``; the review-page hooks (``origin``,
    ``review_context``, ``value_labels``) default to nothing.
    """

    slug: str
    label: str
    model: type
    related: tuple[str, ...] = ("current_revision", "created_by")  # what the pages read of every item
    #: A template the review page includes in its side column (statements: their cited facts), or "".
    review_panel_template: str = ""
    #: Models whose rows decide who may see or approve these items (statements: the incident and its
    #: crisis team): a write to one recomputes the navigation's cached queue counts (``queue_count``).
    depends_on: tuple[type, ...] = ()

    def visible(self, user):
        """Items of this kind ``user`` may see (the model's ``visible_to``), ready for ``url()`` without extra queries."""
        return selectors.visible_items(self.model, user).select_related(*self.related)

    def url(self, item) -> str:
        """The item's own page."""
        return item.get_absolute_url()

    def transition_url(self, item) -> str:
        """Where the item's workflow buttons post (an ``ItemTransitionView``)."""
        return item.get_transition_url()

    def review_url(self, item) -> str:
        return reverse("review:review", kwargs={"kind": self.slug, "pk": item.pk})

    def audit_url(self, item) -> str:
        return reverse("review:audit", kwargs={"kind": self.slug, "pk": item.pk})

    # --- confirmations (crisisdesk.confirm) ------------------------------------------------------------------

    def confirm_question(self, item, action: str) -> str:
        """What the browser asks before publishing or withdrawing ``item`` (the dialog and the no-JavaScript page).

        Override ``publish_question`` to say where publishing sends it.
        """
        if action == Action.PUBLISH:
            return self.publish_question(item)
        if selectors.retires(item):
            return _("Retire “%(title)s”? Statements can no longer start from it. This cannot be undone.") % {
                "title": item
            }
        return _("Withdraw “%(title)s”? This cannot be undone.") % {"title": item}

    def publish_question(self, item) -> str:
        return _("Publish “%(title)s”?") % {"title": item}

    # --- the review page ------------------------------------------------------------------------------------

    def origin(self, item):
        """The reviewed item ``item`` was copied from (a statement's key message), or None.

        Until ``item`` has an approved revision of its own, the review page compares it with
        the origin's last approved revision.
        """
        return None

    def base_label(self, item, revision) -> str:
        """How the review page names ``revision`` of ``item`` when an item copied from it is compared with it."""
        return f"“{item}” (r{revision.number})"

    def review_context(self, item, content: dict, base: dict) -> dict:
        """Extra context of the review page (statements: the cited facts), given both snapshots compared."""
        return {}

    def value_labels(self, item, context: dict) -> dict[str, dict]:
        """Per snapshot field, how to show its raw values (statements: channel names, fact claims).

        ``context`` is what ``review_context`` returned. Fields not named here are shown
        through their model field's choices, if any.
        """
        return {}


# slug → kind, in registration order (the order ``kind_of`` tries them).
_registry: dict[str, ReviewableKind] = {}


def register(kind: ReviewableKind) -> ReviewableKind:
    """Add ``kind``; a second ``ready()`` registering the same kind again is a no-op.

    Raises ImproperlyConfigured when its slug or its model already belongs to another kind.
    """
    if not isinstance(kind, ReviewableKind):
        raise TypeError(f"{kind!r} is not a ReviewableKind")
    existing = _registry.get(kind.slug)
    if existing is not None:
        if type(existing) is type(kind) and existing.model is kind.model:
            return existing
        raise ImproperlyConfigured(
            f"The review kind {kind.slug!r} is already registered for {existing.model.__name__}."
        )
    for other in _registry.values():
        if other.model is kind.model:
            raise ImproperlyConfigured(f"{kind.model.__name__} already has the review kind {other.slug!r}.")
    _registry[kind.slug] = kind
    queue_count.watch(kind.model, *kind.depends_on)
    return kind


def get(slug: str) -> ReviewableKind:
    """The kind registered under ``slug``; LookupError when there is none (views answer 404)."""
    try:
        return _registry[slug]
    except KeyError:
        raise LookupError(f"No review kind {slug!r}") from None


def kind_of(item_or_model) -> ReviewableKind:
    """The kind of an item (or of a model class, proxies included); LookupError when none is registered."""
    model = item_or_model if isinstance(item_or_model, type) else type(item_or_model)
    for kind in _registry.values():
        if issubclass(model, kind.model):
            return kind
    raise LookupError(model.__name__)


def kinds() -> tuple[ReviewableKind, ...]:
    """Every registered kind, in registration order."""
    return tuple(_registry.values())
