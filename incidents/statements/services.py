"""Writes to statements, and the review policy the engine applies to them.

Creating and editing happen here; every status change (submit, approve, request
changes, reject, publish, withdraw) is a ``crisisdesk.review.services`` function
called with the statement. Who may do what (decided for issue 3):

- **draft / edit / submit**: Communicator and Team lead (``add``/``change``/``submit_statement``),
  and the incident's lead. Legal does not edit: it requests changes, so it stays
  eligible to approve.
- **approve / request changes / reject**: a member of Legal (``approve_statement`` held
  through a group — being a superuser is not enough) who did not write any revision;
  at severity 1 also the incident lead, who must not have written it either. One
  person's approval satisfies one requirement only.
- **publish and record live URLs**: Communicator and Team lead (``publish_statement``) and
  the incident lead; only ever an approved statement whose approvals match the
  current revision's hash. Legal does not publish (separation of duties).
- **withdraw**: Team lead and Legal (``withdraw_statement``) and the incident lead: taking
  words back is a decision, not a posting chore, so communicators ask one of them.
- Everyone must be able to see the incident (confidential incidents: members only).

Publishing sets the incident's first-public-response clock when it is empty, also
for exercises: drills are measured like real crises, and the newsroom and
webhooks exclude exercise incidents, so nothing leaves the building.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.notifications import kinds as notification_kinds
from crisisdesk.notifications.messages import message
from crisisdesk.notifications.services import notify
from crisisdesk.review import services as review
from crisisdesk.review.models import Action, BodyFormat, ContentLanguage, ReviewStatus
from crisisdesk.review.notify import send_after_commit
from crisisdesk.review.policy import Requirement, ReviewPolicy, has_explicit_perm
from crisisdesk.text import normalise_newlines
from crisisdesk.webhooks import emit
from crisisdesk.webhooks.payloads import statement_data
from incidents import permissions, timeline
from incidents.models import Channel, Fact, FactStatus, Incident, Membership, Severity, Status, TimelineKind
from incidents.statements import reuse
from incidents.statements.models import Statement, StatementPublication

STATEMENT_EVENT = timeline.event(
    "statement.review", gettext_lazy("Statement “%(title)s”: %(action)s."), {"action": Action}
)
STATEMENT_CITES_REFUTED_FACT = timeline.event(
    "statement.cites_refuted_fact",
    gettext_lazy("Published statement “%(title)s” cites a fact now refuted: %(claim)s"),
)

LEGAL_APPROVAL = Requirement("legal", gettext_lazy("Legal"))
INCIDENT_LEAD_APPROVAL = Requirement("incident_lead", gettext_lazy("Incident lead"))

EDITABLE_FIELDS = ("title", "channels", "language", "audience", "body", "body_format", "public_context", "facts")

# Which permission each author-side action needs (the incident lead may do all of them).
ACTION_PERMISSIONS = {
    Action.EDIT: "incidents.change_statement",
    Action.SUBMIT: "incidents.submit_statement",
    Action.PUBLISH: "incidents.publish_statement",
    Action.RECORD_URL: "incidents.publish_statement",
    Action.WITHDRAW: "incidents.withdraw_statement",
}


def users_with_perm(perm: str):
    """Active users granted ``app_label.codename`` through a group or directly (superusers alone are not)."""
    app_label, codename = perm.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    if permission is None:
        return get_user_model().objects.none()
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
        .distinct()
    )


class StatementPolicy(ReviewPolicy):
    """Statements need Legal; a severity 1 incident's statements also need the incident lead."""

    # ``public_context`` is public words too: in the snapshot, so hashed, shown in the diff, approved.
    content_fields = ("title", "channels", "language", "audience", "body", "body_format", "public_context")

    def content(self, item) -> dict:
        content = super().content(item)
        # Legal approves the facts a statement rests on, too: citing another one is an edit.
        content["facts"] = sorted(item.facts.values_list("pk", flat=True)) if item.pk else []
        # Left out when blank, so revisions from before the field existed keep their hash and
        # an unchanged save of an approved statement stays a no-op.
        if not content.get("public_context"):
            content.pop("public_context", None)
        return content

    def requirements(self, item) -> list[Requirement]:
        if item.incident.severity == Severity.CRITICAL:
            return [LEGAL_APPROVAL, INCIDENT_LEAD_APPROVAL]
        return [LEGAL_APPROVAL]

    def qualifies(self, user, item, requirement: Requirement) -> bool:
        if not self.can_view(user, item):
            return False
        if requirement == LEGAL_APPROVAL:
            return has_explicit_perm(user, "incidents.approve_statement")
        if requirement == INCIDENT_LEAD_APPROVAL:
            return permissions.is_incident_lead(user, item.incident)
        return False

    def reviewers(self, item, requirement: Requirement):
        if requirement == LEGAL_APPROVAL:
            candidates = users_with_perm("incidents.approve_statement")
        elif item.incident.lead is not None:
            candidates = [item.incident.lead]
        else:
            candidates = []
        # A confidential incident's statement is announced only to those who may read it.
        return [user for user in candidates if self.qualifies(user, item, requirement)]

    def incident(self, item) -> Incident:
        return item.incident

    def can_view(self, user, item) -> bool:
        return permissions.can_view_statements(user, item.incident)

    def can(self, user, item, action: str) -> bool:
        if not self.can_view(user, item):
            return False
        if action in (Action.EDIT, Action.SUBMIT) and item.incident.status == Status.CLOSED:
            return False
        perm = ACTION_PERMISSIONS.get(action)
        if perm is None:
            return False
        return user.has_perm(perm) or permissions.is_incident_lead(user, item.incident)

    def inherited_approvals(self, item, revision) -> list:
        key_message = item.from_key_message
        if key_message is None or not _key_message_lends_approval(key_message):
            return []
        if revision.content.get("public_context"):
            return []  # words the key message's reviewers never saw: a fresh review
        source = key_message.current_revision
        if source.text_hash != revision.text_hash:
            return []  # one changed character: a fresh review
        return [
            decision
            for decision in review._approvals(key_message, source)
            if decision.based_on_id is None and decision.reviewer_id not in review.editor_ids(key_message)
        ]

    def inherited_approval_valid(self, item, decision) -> bool:
        key_message = item.from_key_message
        source = decision.based_on
        return (
            key_message is not None
            and source.content_type_id == review._content_type(key_message).pk
            and source.object_id == key_message.pk
            and _key_message_lends_approval(key_message)
            and source.revision_id == key_message.current_revision_id
            and source.revision.text_hash == item.current_revision.text_hash
            and not item.current_revision.content.get("public_context")
        )

    def check_publishable(self, item, revision) -> None:
        incident = item.incident
        if incident.status == Status.CLOSED:
            raise InvalidTransition(_("The incident is closed; nothing more goes out for it."), current=item.status)
        if not item.channels:
            raise ValidationError({"channels": _("Choose at least one channel.")})
        not_confirmed = [fact for fact in item.facts.all() if fact.status != FactStatus.CONFIRMED]
        if not_confirmed:
            raise InvalidTransition(
                _("Statements rest on confirmed facts only; not confirmed: %s")
                % "; ".join(fact.claim[:60] for fact in not_confirmed),
                current=item.status,
            )
        too_long = [row for row in item.channel_texts() if row["over_limit"]]
        if too_long:
            raise ValidationError(
                {
                    "body": [
                        _("Too long for %(channel)s: %(length)s characters, the limit is %(limit)s.")
                        % {"channel": row["label"], "length": row["length"], "limit": row["limit"]}
                        for row in too_long
                    ]
                }
            )

    def on_published(self, item, *, actor) -> None:
        # Lock order item → incident (as in every statement service): no deadlock with a
        # concurrent publish of another statement of the same incident.
        incident = Incident.objects.select_for_update().get(pk=item.incident_id)
        if incident.first_public_response_at is None:
            incident.first_public_response_at = item.published_at
            incident.save(update_fields=["first_public_response_at", "updated_at"])
        notify(
            recipients=[user for user in incident_team(incident) if self.can_view(user, item)],
            kind=STATEMENT_PUBLISHED,
            message=message(gettext_noop("Statement published: %s"), [self.describe_message(item)]),
            url=reverse("incidents:statement_detail", kwargs={"reference": incident.reference, "pk": item.pk}),
            incident=incident,
            actor=actor,
        )

    def record_event(self, item, event) -> None:
        if event.action == Action.PRE_APPROVE:
            # Not "Pre-approved": say which approval the key message spared and which is still required.
            reuse.log_reuse(statement=item, event=event)
        else:
            timeline.log(
                incident_id=item.incident_id,
                kind=TimelineKind.STATEMENT,
                event=STATEMENT_EVENT,
                params={"title": item.title, "action": event.action, "comment": event.comment},
                actor=event.actor,
                data={
                    "statement": item.pk,
                    "action": event.action,
                    "from": event.from_state,
                    "to": event.to_state,
                    "revision": event.revision.number if event.revision else None,
                    "audit_event": event.pk,
                },
            )
        event_type = statement_event_type(event)
        if event_type:
            # The outbox row joins the transition's transaction: no webhook for a rolled-back publish.
            emit(
                event_type=event_type,
                payload=statement_data(
                    item,
                    action=event.action,
                    actor=event.actor.get_username() if event.actor_id else None,
                    comment=event.comment,
                    **{"from": event.from_state, "to": event.to_state},
                ),
                incident=item.incident,
            )

    def describe_message(self, item):
        return message(
            gettext_noop("%(reference)s statement “%(title)s”"),
            {"reference": item.incident.reference, "title": item.title},
        )


def statement_event_type(event) -> str | None:
    """The webhook event an audit event of a statement becomes, if any.

    "Approved" means every required approval is in: the first approval of two at
    severity 1 (still in review) and an extra one on an approved statement send nothing.
    A verbatim key message's pre-approval counts.
    """
    if event.action == Action.SUBMIT:
        return "statement.submitted"
    if event.action in (Action.APPROVE, Action.PRE_APPROVE):
        entered_approved = event.to_state == ReviewStatus.APPROVED and event.from_state != ReviewStatus.APPROVED
        return "statement.approved" if entered_approved else None
    if event.action == Action.PUBLISH:
        return "statement.published"
    if event.action == Action.WITHDRAW:
        return "statement.withdrawn"
    return None


def _key_message_lends_approval(key_message) -> bool:
    """Usable (the key messages' rule) and its own approvals still complete: only then is its approval inherited."""
    return (
        key_message.is_usable()
        and key_message.current_revision is not None
        and not review.missing_requirements(key_message)
    )


# --- validation -----------------------------------------------------------------------------


def _validate_channels(channels) -> list[str]:
    if not isinstance(channels, (list, tuple)):
        raise ValidationError({"channels": _("Expected a list of channels.")})
    unknown = [c for c in channels if c not in Channel.values]
    if unknown:
        raise ValidationError({"channels": _("Unknown channel(s): %s") % ", ".join(map(str, unknown))})
    if not channels:
        raise ValidationError({"channels": _("Choose at least one channel.")})
    return [c for c in Channel.values if c in channels]


def _validate_facts(incident: Incident, facts) -> list[Fact]:
    facts = list(facts or [])
    if any(fact.incident_id != incident.pk for fact in facts):
        raise ValidationError({"facts": _("A statement cites facts of its own incident only.")})
    return facts


# --- services -------------------------------------------------------------------------------


@transaction.atomic
def statement_create(
    *,
    actor,
    incident: Incident,
    channels: list[str],
    title: str | None = None,
    body: str | None = None,
    language: str | None = None,
    audience: str = "",
    body_format: str | None = None,
    public_context: str = "",
    facts=(),
    from_key_message=None,
    ip_address: str | None = None,
) -> Statement:
    """Draft a statement, from scratch or from an approved key message (whose text it copies).

    A verbatim copy of an approved, unexpired key message is pre-approved by its
    Legal approval; any change to the words needs a fresh review.
    """
    if not permissions.can_draft_statement(actor, incident):
        # The rule lives in incidents.permissions; here only the answer: 403 for a missing role, 409 when closed.
        if not permissions.can_view_statements(actor, incident):
            raise PermissionDenied(_("You may not see this incident."))
        if permissions.holds_statement_drafting_role(actor, incident) and incident.status == Status.CLOSED:
            raise InvalidTransition(_("The incident is closed."), current=incident.status)
        raise PermissionDenied(_("You may not draft statements."))
    if from_key_message is not None:
        if not permissions.can_draft_statement_from_key_message(actor, incident):
            raise PermissionDenied(_("You may not use key messages."))
        # The key messages' own rule (playbooks.keymessages.models), for the browser, API and admin alike.
        if not from_key_message.is_usable():
            raise ValidationError(
                {"from_key_message": _("Only an approved key message that has not expired can be used.")}
            )
        title = from_key_message.title if title is None else title
        body = from_key_message.body if body is None else body
        language = from_key_message.language if language is None else language
        body_format = from_key_message.body_format if body_format is None else body_format
    statement = Statement(
        incident=incident,
        title=(title or "").strip(),
        channels=_validate_channels(channels),
        language=language or ContentLanguage.EN,
        audience=audience,
        body=normalise_newlines(body),
        public_context=(public_context or "").strip(),
        body_format=body_format or BodyFormat.PLAIN,
        from_key_message=from_key_message,
        created_by=actor,
    )
    cited = _validate_facts(incident, facts)
    statement.full_clean()
    statement.save()
    statement.facts.set(cited)
    review.review_start(actor=actor, item=statement, ip_address=ip_address)
    statement.refresh_from_db()
    return statement


@transaction.atomic
def statement_update(
    *, actor, statement: Statement, comment: str = "", ip_address: str | None = None, **changes
) -> Statement:
    """Edit a statement's words, channels or cited facts: a new revision, back to draft."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be edited here.") for field in unknown})
    statement = Statement.objects.select_for_update().get(pk=statement.pk)
    review.ensure_allowed(actor=actor, item=statement, action=Action.EDIT)
    if "channels" in changes:
        changes["channels"] = _validate_channels(changes["channels"])
    if "body" in changes:
        changes["body"] = normalise_newlines(changes["body"])
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
    if "public_context" in changes:
        changes["public_context"] = (changes["public_context"] or "").strip()
    facts = changes.pop("facts", None)
    for field, value in changes.items():
        setattr(statement, field, value)
    statement.full_clean()
    statement.save()
    if facts is not None:
        statement.facts.set(_validate_facts(statement.incident, facts))
    review.review_record_edit(actor=actor, item=statement, comment=comment, ip_address=ip_address)
    statement.refresh_from_db()
    return statement


@transaction.atomic
def statement_record_url(
    *, actor, statement: Statement, channel: str, url: str, ip_address: str | None = None
) -> StatementPublication:
    """Record where a published statement went live on one channel (posted by hand)."""
    statement = Statement.objects.select_for_update().get(pk=statement.pk)
    policy = StatementPolicy()
    if not policy.can_view(actor, statement):
        raise PermissionDenied(_("You may not see this statement."))
    if statement.status != ReviewStatus.PUBLISHED:
        raise InvalidTransition(_("Only a published statement has live URLs."), current=statement.status)
    if not policy.can(actor, statement, Action.RECORD_URL):
        raise PermissionDenied(_("You may not record live URLs."))
    if channel not in statement.channels:
        raise ValidationError({"channel": _("This statement was not meant for that channel.")})
    publication = StatementPublication(statement=statement, channel=channel, url=url, recorded_by=actor)
    publication.full_clean()
    publication.save()
    review.record_audit(
        actor=actor,
        item=statement,
        action=Action.RECORD_URL,
        comment=url,
        ip_address=ip_address,
        data={"channel": channel, "url": url},
    )
    return publication


STATEMENT_PUBLISHED = "statement.published"
STATEMENT_CITES_REFUTED = "statement.cites_refuted_fact"


def register_notification_kinds() -> None:
    """The statements' notification kinds (``IncidentsConfig.ready()``)."""
    notification_kinds.register(STATEMENT_PUBLISHED, gettext_lazy("Statement published"))
    notification_kinds.register(STATEMENT_CITES_REFUTED, gettext_lazy("Statement cites a refuted fact"))


def incident_team(incident: Incident) -> list:
    """The incident's lead and crisis team members (active accounts)."""
    members = [m.user for m in Membership.objects.filter(incident=incident).select_related("user")]
    return [user for user in [incident.lead, *members] if user is not None and user.is_active]


def statements_flag_refuted_fact(*, fact: Fact, incident: Incident, actor) -> list[Statement]:
    """A fact was just refuted: flag each published statement citing it (registered in incidents.hooks).

    Runs inside ``fact_verify``'s transaction (the incident is locked): one timeline entry per
    statement, and an e-mail after commit to its author, the incident lead and Legal (those of them
    who may see the statement). The war room's warning is derived (``Statement.cites_refuted_fact``),
    so it lasts while the fact stays refuted and the statement stays published.
    """
    statements = list(
        Statement.objects.filter(facts=fact, status=ReviewStatus.PUBLISHED).select_related("created_by").order_by("pk")
    )
    policy = StatementPolicy()
    legal = list(policy.reviewers(statements[0], LEGAL_APPROVAL)) if statements else []
    for statement in statements:
        timeline.log(
            incident=incident,
            kind=TimelineKind.STATEMENT,
            event=STATEMENT_CITES_REFUTED_FACT,
            params={"title": statement.title, "claim": fact.claim},
            actor=actor,
            data={"statement": statement.pk, "fact": fact.pk, "refuted_fact": True},
        )
        recipients = [statement.created_by, incident.lead, *legal]
        path = reverse("incidents:statement_detail", kwargs={"reference": incident.reference, "pk": statement.pk})
        notify(
            recipients=[user for user in recipients if user is not None and policy.can_view(user, statement)],
            kind=STATEMENT_CITES_REFUTED,
            message=message(
                gettext_noop("Published statement cites a refuted fact: %s"), [policy.describe_message(statement)]
            ),
            url=path,
            incident=incident,
            actor=actor,
        )
        send_after_commit(
            recipients=[user for user in recipients if user is not None and policy.can_view(user, statement)],
            subject=_("Published statement cites a refuted fact: %s") % policy.describe(statement),
            body=_(
                "%(who)s refuted the fact “%(claim)s”, which the published statement “%(title)s” cites.\n\n"
                "Consider a correction or withdrawing it: %(path)s"
            )
            % {
                "who": actor.get_full_name() or actor.get_username(),
                "claim": fact.claim,
                "title": statement.title,
                "path": path,
            },
        )
    return statements
