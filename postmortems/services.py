"""Writes to post-crisis reviews and action items, and the review policy the engine applies to reviews.

Who may do what:

- **draft**: nobody drafts by hand. ``postmortem_draft_for`` is called by
  ``incidents.services.incident_change_status`` when an incident becomes resolved (same
  transaction, idempotent); whoever resolved it is the review's author.
- **edit / submit**: Team lead and Communicator (``change``/``submit_postmortemreview``) and the
  incident's lead.
- **approve / request changes / reject**: a Team lead or Legal (``approve_postmortemreview``
  held through a group) who wrote no revision of it and is not its author (four eyes).
- **publish**: Team lead (``publish_postmortemreview``) and the incident's lead, once approved.
- **withdraw**: Team lead (``withdraw_postmortemreview``).
- **action items**: Team leads (``add``/``change_actionitem``) and the incident's lead add and
  edit them; an item's owner may move its status too.
- Everyone must be able to see the incident: a confidential incident's review stays confidential.
"""

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.notifications.messages import message
from crisisdesk.review import services as review
from crisisdesk.review.models import Action
from crisisdesk.review.policy import Requirement, ReviewPolicy, has_explicit_perm
from incidents import permissions as incident_permissions
from incidents import timeline
from incidents.impact import incident_measured_impact
from incidents.models import Incident, Status, TimelineKind
from postmortems.models import (
    CLOSED_ACTION_STATUSES,
    SECTION_FIELDS,
    ActionItem,
    ActionItemStatus,
    PostmortemReview,
    Sentiment,
)

REVIEW_EVENT = timeline.event("postmortem.review", gettext_lazy("Post-crisis review: %(action)s."), {"action": Action})
ACTION_ITEM_ADDED = timeline.event(
    "postmortem.action_item_added", gettext_lazy("Action item added: %(title)s (owner %(owner)s, due %(due)s).")
)
ACTION_ITEM_STATUS = timeline.event(
    "postmortem.action_item_status",
    gettext_lazy("Action item “%(title)s”: %(from)s → %(to)s."),
    {"from": ActionItemStatus, "to": ActionItemStatus},
)
ACTION_ITEMS_ALL_CLOSED = timeline.event(
    "postmortem.action_items_closed", gettext_lazy("All action items of the post-crisis review are closed.")
)

REVIEWER_APPROVAL = Requirement("postmortem_reviewer", gettext_lazy("Team lead or Legal"))

EDITABLE_FIELDS = (
    "title",
    "first_seen_at",
    *SECTION_FIELDS,
    "impact_reach",
    "impact_peak_mentions",
    "impact_sentiment",
    "impact_press",
)

ACTION_PERMISSIONS = {
    Action.EDIT: "postmortems.change_postmortemreview",
    Action.SUBMIT: "postmortems.submit_postmortemreview",
    Action.PUBLISH: "postmortems.publish_postmortemreview",
    Action.WITHDRAW: "postmortems.withdraw_postmortemreview",
}

# Words that usually point at a person instead of a system. A gentle nudge, never a block:
# "the fault in the parser" is fine, and the author decides.
BLAME_WORDS = ("fault", "blame", "stupid", "careless", "incompetent", "negligent", "should have known", "idiot")
_BLAME_PATTERN = re.compile(r"\b(" + "|".join(re.escape(w) for w in BLAME_WORDS) + r")\w*", re.IGNORECASE)


def blame_words(text: str) -> list[str]:
    """The blame-flavoured words found in ``text``, lower-cased, in order of appearance, without duplicates."""
    found: list[str] = []
    for match in _BLAME_PATTERN.finditer(text or ""):
        word = match.group(0).lower()
        if word not in found:
            found.append(word)
    return found


def wording_warnings(item: PostmortemReview) -> dict[str, list[str]]:
    """Per section, the blame-flavoured words it uses (empty sections and clean ones are left out)."""
    warnings = {}
    for name in ("summary", "went_well", "went_badly", "root_causes", "lessons", "impact_press"):
        words = blame_words(getattr(item, name))
        if words:
            warnings[name] = words
    return warnings


def _markdown_body(item: PostmortemReview) -> str:
    parts = []
    for _name, heading, text in item.sections():
        parts.append(f"## {heading}\n\n{text.strip()}")
    return "\n\n".join(parts)


class PostmortemPolicy(ReviewPolicy):
    """Post-crisis reviews need one approval by a Team lead or Legal who did not write them."""

    content_fields = EDITABLE_FIELDS
    text_fields = ("title", "body")

    def content(self, item) -> dict:
        content = {field: getattr(item, field) for field in EDITABLE_FIELDS if field not in SECTION_FIELDS}
        content["first_seen_at"] = item.first_seen_at.isoformat() if item.first_seen_at else None
        # The sections as one Markdown text: the review page shows it as a word diff.
        content["body"] = _markdown_body(item)
        return content

    def public_text(self, item) -> dict:
        return {"title": item.title, "body": _markdown_body(item)}

    def requirements(self, item) -> list[Requirement]:
        return [REVIEWER_APPROVAL]

    def qualifies(self, user, item, requirement: Requirement) -> bool:
        return (
            requirement == REVIEWER_APPROVAL
            and self.can_view(user, item)
            and has_explicit_perm(user, "postmortems.approve_postmortemreview")
        )

    def reviewers(self, item, requirement: Requirement):
        from incidents.statements.services import users_with_perm

        return [u for u in users_with_perm("postmortems.approve_postmortemreview") if self.can_view(u, item)]

    def incident(self, item) -> Incident:
        return item.incident

    def can_view(self, user, item) -> bool:
        return (
            user.is_authenticated
            and user.has_perm("postmortems.view_postmortemreview")
            and incident_permissions.can_view(user, item.incident)
        )

    def can(self, user, item, action: str) -> bool:
        perm = ACTION_PERMISSIONS.get(action)
        if perm is None or not self.can_view(user, item):
            return False
        if action == Action.WITHDRAW:
            return user.has_perm(perm)
        return user.has_perm(perm) or incident_permissions.is_incident_lead(user, item.incident)

    def record_event(self, item, event) -> None:
        if event.action == Action.CREATE:
            # The draft is a by-product of resolving: the status change already tells the timeline.
            return
        # The incident's timeline has no "review" kind yet: a note that names the review.
        timeline.log(
            incident_id=item.incident_id,
            kind=TimelineKind.NOTE,
            event=REVIEW_EVENT,
            params={"action": event.action, "comment": event.comment},
            actor=event.actor,
            data={
                "postmortem": item.pk,
                "action": event.action,
                "from": event.from_state,
                "to": event.to_state,
                "revision": event.revision.number if event.revision else None,
                "audit_event": event.pk,
            },
        )

    def describe_message(self, item):
        return message(gettext_noop("Post-crisis review “%s”"), [item.title])


# --- reviews ------------------------------------------------------------------------------------------


def review_language(incident: Incident) -> str:
    """The language the crisis is handled in: that of its latest statement, else the deployment's."""
    language = incident.statements.order_by("-created_at", "-pk").values_list("language", flat=True).first()
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


@transaction.atomic
def postmortem_draft_for(*, incident: Incident, actor, ip_address: str | None = None) -> PostmortemReview:
    """The incident's review, drafted now if it has none: called when the incident becomes resolved.

    Idempotent: an incident resolved, re-opened and resolved again keeps its one review. The
    person who resolved the incident is recorded as the author (so they cannot approve it).
    """
    existing = PostmortemReview.objects.filter(incident=incident).first()
    if existing is not None:
        return existing
    # The title is stored text, not interface: it is written in the crisis's language, not in
    # that of whoever happened to resolve it (an English API client, the demo's seeding command).
    with translation.override(review_language(incident)):
        title = _("Review: %s") % incident.title
    draft = PostmortemReview(
        incident=incident,
        title=title[:200],
        summary=incident.summary,
        created_by=actor,
        **measured_impact_fields(incident),
    )
    draft.full_clean()
    draft.save()
    review.review_start(actor=actor, item=draft, ip_address=ip_address)
    draft.refresh_from_db()
    return draft


def _normalise(value):
    # Browsers submit CRLF: store one form so an unchanged text hashes the same.
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


@transaction.atomic
def postmortem_update(
    *, actor, review_item: PostmortemReview, comment: str = "", ip_address: str | None = None, **changes
) -> PostmortemReview:
    """Edit a review's sections: a new revision and back to draft (an approval given earlier stops counting)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be edited here.") for field in unknown})
    item = PostmortemReview.objects.select_for_update().get(pk=review_item.pk)
    review.ensure_allowed(actor=actor, item=item, action=Action.EDIT)
    for field, value in changes.items():
        if field == "impact_sentiment" and value is None:
            value = ""
        setattr(item, field, _normalise(value))
    item.full_clean()
    item.save()
    review.review_record_edit(actor=actor, item=item, comment=comment, ip_address=ip_address)
    item.refresh_from_db()
    return item


def measured_impact_fields(incident: Incident) -> dict:
    """The review's impact fields as measured from the incident's mentions (empty for an exercise)."""
    measured = incident_measured_impact(incident=incident)
    if measured is None:
        return {}
    return {
        "impact_reach": measured["reach"],
        "impact_peak_mentions": measured["peak_mentions"],
        "impact_sentiment": measured["sentiment"] or Sentiment.UNKNOWN,
    }


def _is_empty(item: PostmortemReview, field: str) -> bool:
    value = getattr(item, field)
    return value is None or value == Sentiment.UNKNOWN


def postmortem_refresh_impact(
    *, actor, review_item: PostmortemReview, overwrite: bool = False, ip_address: str | None = None
) -> tuple[PostmortemReview, list[str]]:
    """Fill the impact fields (reach, peak volume, sentiment) from the incident's mentions.

    Typed values are kept: only empty fields are filled, unless ``overwrite`` says to replace
    them. Returns the review and the fields changed; nothing changed means no new revision.
    Like any edit, a change sends the review back to draft (an approval stops counting).
    """
    review.ensure_allowed(actor=actor, item=review_item, action=Action.EDIT)
    measured = measured_impact_fields(review_item.incident)
    changes = {
        field: value
        for field, value in measured.items()
        if (overwrite or _is_empty(review_item, field)) and getattr(review_item, field) != value
    }
    if not changes:
        return review_item, []
    item = postmortem_update(
        actor=actor,
        review_item=review_item,
        comment=_("Impact refreshed from the mention data."),
        ip_address=ip_address,
        **changes,
    )
    return item, sorted(changes)


# --- action items ---------------------------------------------------------------------------------------

# From each status, where an action item may go next. Closed items can be re-opened.
ACTION_ITEM_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ActionItemStatus.OPEN: (ActionItemStatus.IN_PROGRESS, ActionItemStatus.DONE, ActionItemStatus.WONT_DO),
    ActionItemStatus.IN_PROGRESS: (ActionItemStatus.OPEN, ActionItemStatus.DONE, ActionItemStatus.WONT_DO),
    ActionItemStatus.DONE: (ActionItemStatus.OPEN,),
    ActionItemStatus.WONT_DO: (ActionItemStatus.OPEN,),
}

ACTION_ITEM_FIELDS = ("title", "description", "owner", "due_date", "priority", "playbook")


def can_manage_action_items(user, item: PostmortemReview) -> bool:
    """Add action items to this review and edit any of them."""
    return (
        user.is_authenticated
        and user.has_perm("postmortems.view_actionitem")
        and incident_permissions.can_view(user, item.incident)
        and (
            user.has_perm("postmortems.change_actionitem") or incident_permissions.is_incident_lead(user, item.incident)
        )
    )


def can_change_action_item_status(user, action_item: ActionItem) -> bool:
    """Move this item's status: its managers, and its owner."""
    if not (user.is_authenticated and incident_permissions.can_view(user, action_item.review.incident)):
        return False
    return action_item.owner_id == user.pk or can_manage_action_items(user, action_item.review)


def _validate_owner(owner) -> None:
    if owner is None or not owner.is_active or not (owner.is_superuser or owner.has_perm("incidents.view_incident")):
        raise ValidationError({"owner": _("The owner must be an active CrisisDesk user.")})


@transaction.atomic
def action_item_create(
    *,
    actor,
    review_item: PostmortemReview,
    title: str,
    owner,
    due_date,
    priority: int = 2,
    description: str = "",
    playbook=None,
) -> ActionItem:
    """Add an action item to a review; logged on the incident's timeline."""
    if not can_manage_action_items(actor, review_item):
        raise PermissionDenied(_("You may not add action items to this review."))
    _validate_owner(owner)
    action_item = ActionItem(
        review=review_item,
        title=(title or "").strip(),
        description=description or "",
        owner=owner,
        due_date=due_date,
        priority=priority,
        playbook=playbook,
        created_by=actor,
    )
    action_item.full_clean()
    action_item.save()
    timeline.log(
        incident_id=review_item.incident_id,
        kind=TimelineKind.NOTE,
        actor=actor,
        event=ACTION_ITEM_ADDED,
        params={"title": action_item.title, "owner": owner.get_username(), "due": action_item.due_date.isoformat()},
        data={"postmortem": review_item.pk, "action_item": action_item.pk},
    )
    return action_item


@transaction.atomic
def action_item_update(*, actor, action_item: ActionItem, **changes) -> ActionItem:
    """Edit an action item's title, description, owner, due date or priority."""
    unknown = set(changes) - set(ACTION_ITEM_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be edited here.") for field in unknown})
    action_item = ActionItem.objects.select_for_update().select_related("review__incident").get(pk=action_item.pk)
    if not can_manage_action_items(actor, action_item.review):
        raise PermissionDenied(_("You may not edit this action item."))
    if "owner" in changes:
        _validate_owner(changes["owner"])
    for field, value in changes.items():
        setattr(action_item, field, value)
    action_item.full_clean()
    action_item.save()
    return action_item


@transaction.atomic
def action_item_set_status(*, actor, action_item: ActionItem, status: str) -> ActionItem:
    """Move an action item along its workflow; closing the review's last open item is logged on the incident."""
    if status not in ActionItemStatus.values:
        raise ValidationError({"status": _("Unknown status %s.") % status})
    # Lock the review first: two owners closing the last two items at once must not both
    # believe the other one is still open (and neither log "all closed").
    PostmortemReview.objects.select_for_update().get(pk=action_item.review_id)
    action_item = ActionItem.objects.select_for_update().select_related("review__incident").get(pk=action_item.pk)
    if not can_change_action_item_status(actor, action_item):
        raise PermissionDenied(_("You may not change this action item."))
    if status not in ACTION_ITEM_TRANSITIONS[action_item.status]:
        raise InvalidTransition(
            _("An action item cannot go from %(from)s to %(to)s.")
            % {"from": ActionItemStatus(action_item.status).label, "to": ActionItemStatus(status).label},
            current=action_item.status,
            requested=status,
        )
    old = action_item.status
    action_item.status = status
    action_item.closed_at = timezone.now() if status in CLOSED_ACTION_STATUSES else None
    action_item.save(update_fields=["status", "closed_at", "updated_at"])
    incident_id = action_item.review.incident_id
    timeline.log(
        incident_id=incident_id,
        kind=TimelineKind.NOTE,
        actor=actor,
        event=ACTION_ITEM_STATUS,
        params={"title": action_item.title, "from": old, "to": status},
        data={"postmortem": action_item.review_id, "action_item": action_item.pk, "from": old, "to": status},
    )
    if (
        status in CLOSED_ACTION_STATUSES
        and not ActionItem.objects.filter(review_id=action_item.review_id).open().exists()
    ):
        timeline.log(
            incident_id=incident_id,
            kind=TimelineKind.NOTE,
            actor=actor,
            event=ACTION_ITEMS_ALL_CLOSED,
            params={},
            data={"postmortem": action_item.review_id, "all_action_items_closed": True},
        )
    return action_item


def should_draft(incident: Incident) -> bool:
    """A resolved or closed incident has (or gets) a review."""
    return incident.status in (Status.RESOLVED, Status.CLOSED)
