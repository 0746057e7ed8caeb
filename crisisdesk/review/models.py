"""The review engine's tables: revisions, review requests, decisions and the audit trail.

A reviewable item (a statement, a key message, later a playbook or a post-crisis
review) inherits ``Reviewable``; its ``status`` is written only by
``crisisdesk.review.services``. Revisions, decisions and audit events are
append-only: a database trigger (migration 0002) refuses UPDATE on them.
"""

import hashlib
import json

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Rejected")


class ContentLanguage(models.TextChoices):
    """Languages a public text can be written in."""

    EN = "en", _("English")
    FR = "fr", _("French")


class BodyFormat(models.TextChoices):
    PLAIN = "plain", _("Plain text")
    MARKDOWN = "markdown", _("Markdown")


class Action(models.TextChoices):
    """What happened to an item: the audit trail's vocabulary and the keys of the transition table."""

    CREATE = "create", _("Created")
    EDIT = "edit", _("Edited")
    SUBMIT = "submit", _("Submitted for review")
    APPROVE = "approve", pgettext_lazy("audit action", "Approved")
    PRE_APPROVE = "pre_approve", _("Pre-approved")
    REQUEST_CHANGES = "request_changes", _("Changes requested")
    REJECT = "reject", pgettext_lazy("audit action", "Rejected")
    PUBLISH = "publish", _("Published")
    WITHDRAW = "withdraw", _("Withdrawn")
    RECORD_URL = "record_url", _("Live URL recorded")


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REQUEST_CHANGES = "request_changes", _("Request changes")
    REJECT = "reject", _("Reject")


def canonical_hash(content: dict) -> str:
    """sha256 of a canonical JSON form: same content, same hash, whatever the key order."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model._meta.label} is append-only.")


class AppendOnlyModel(models.Model):
    """Rows are written once; the database trigger enforces it for raw SQL too."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # A guard, not business logic: append-only must not depend on callers.
        if not self._state.adding:
            raise TypeError(f"{self._meta.label} is append-only.")
        super().save(*args, **kwargs)


class Revision(AppendOnlyModel):
    """An immutable snapshot of an item's reviewable content; every edit makes a new one.

    ``content_hash`` covers the whole snapshot and is what an approval binds to;
    ``text_hash`` covers only the public text (title, body, format, language), so a
    statement that reuses a key message verbatim can be recognised.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    number = models.PositiveIntegerField(_("number"))
    content = models.JSONField(_("content"))
    content_hash = models.CharField(_("content hash"), max_length=64)
    text_hash = models.CharField(_("public text hash"), max_length=64, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("edited by")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["content_type", "object_id", "-number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "number"], name="revision_number_per_item"),
            models.CheckConstraint(condition=Q(number__gte=1), name="revision_number_positive"),
        ]

    def __str__(self):
        return f"r{self.number} {self.content_hash[:12]}"


class ReviewRequestStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("review request status", "Open")
    APPROVED = "approved", pgettext_lazy("review request status", "Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    REJECTED = "rejected", pgettext_lazy("review request status", "Rejected")
    CANCELLED = "cancelled", _("Cancelled by an edit")


class ReviewRequest(models.Model):
    """One round of review of one revision: what the reviewers' queue lists, oldest first.

    A conditional unique constraint allows at most one open round per item, so two
    racing submissions cannot open two.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="review_requests")
    status = models.CharField(
        _("status"), max_length=20, choices=ReviewRequestStatus.choices, default=ReviewRequestStatus.OPEN
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("review request")
        verbose_name_plural = _("review requests")
        indexes = [models.Index(fields=["status", "submitted_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(status="open"),
                name="review_one_open_request_per_item",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReviewRequestStatus.values), name="review_request_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(closed_at__isnull=False), name="review_request_closed_has_time"
            ),
        ]

    def __str__(self):
        return f"{self.content_type_id}:{self.object_id} r{self.revision.number} {self.status}"


class ReviewDecision(AppendOnlyModel):
    """One reviewer's decision on one revision, bound to that revision's content hash.

    ``role`` says which requirement of the policy an approval satisfies (``legal``,
    ``incident_lead``…). ``based_on`` points at the key message approval a verbatim
    reuse inherits.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="decisions")
    content_hash = models.CharField(_("approved content hash"), max_length=64)
    review_request = models.ForeignKey(
        ReviewRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewer")
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    role = models.CharField(_("as"), max_length=40, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    based_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inherited_by",
        verbose_name=_("inherited from"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        indexes = [models.Index(fields=["content_type", "object_id", "revision"])]
        constraints = [
            models.CheckConstraint(condition=Q(decision__in=Decision.values), name="review_decision_valid"),
            # An approval always says which requirement it satisfies.
            models.CheckConstraint(condition=~Q(decision="approve") | ~Q(role=""), name="review_approval_has_role"),
            # One person satisfies a requirement once per revision.
            models.UniqueConstraint(
                fields=["revision", "reviewer", "role"],
                condition=Q(decision="approve"),
                name="review_one_approval_per_reviewer_role",
            ),
        ]

    def __str__(self):
        return f"{self.decision} r{self.revision.number} by {self.reviewer_id} as {self.role}"


class AuditEvent(AppendOnlyModel):
    """Who did what to a reviewable item, when, from which state to which, why, from where."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    # PROTECT, not SET_NULL: nulling the column would be an UPDATE, which the trigger refuses.
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    revision = models.ForeignKey(Revision, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self):
        return f"{self.action} {self.content_type_id}:{self.object_id} by {self.actor_id}"


class Reviewable(models.Model):
    """Fields every reviewed item carries; only the review services write them.

    Subclasses set ``review_policy`` to the dotted path of their ``ReviewPolicy``
    (a string, so models never import the services that judge them).
    """

    review_policy: str = ""

    status = models.CharField(
        _("status"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT, editable=False
    )
    current_revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    published_revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False, verbose_name=_("author")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    withdrawal_reason = models.TextField(_("withdrawal reason"), blank=True, editable=False)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReviewStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            # The database's half of the review rule: a published row names the revision that went out.
            models.CheckConstraint(
                condition=~Q(status="published")
                | Q(published_revision__isnull=False, published_at__isnull=False, published_by__isnull=False),
                name="%(app_label)s_%(class)s_published_has_revision",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["published", "withdrawn"]) | Q(published_revision__isnull=True),
                name="%(app_label)s_%(class)s_published_revision_only_when_public",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="%(app_label)s_%(class)s_withdrawn_has_time",
            ),
            # Anything past draft has content that was reviewed: it must have a revision.
            models.CheckConstraint(
                condition=Q(status="draft") | Q(current_revision__isnull=False),
                name="%(app_label)s_%(class)s_reviewed_has_revision",
            ),
        ]

    @property
    def is_public(self) -> bool:
        return self.status == ReviewStatus.PUBLISHED

    def revisions(self):
        return Revision.objects.filter(
            content_type=ContentType.objects.get_for_model(type(self)), object_id=self.pk
        ).order_by("-number")

    def audit_events(self):
        return AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(type(self)), object_id=self.pk
        ).order_by("-created_at", "-id")

    def decisions(self):
        return ReviewDecision.objects.filter(
            content_type=ContentType.objects.get_for_model(type(self)), object_id=self.pk
        ).order_by("created_at", "id")
