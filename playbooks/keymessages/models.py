"""Key messages: pre-approved lines (holding statements, lines to take, Q&A) that statements reuse.

Reviewed by the engine in ``crisisdesk.review`` like statements; "usable" (approved and
unexpired) is decided here, once, for the browser, the API, the admin and the statements.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.review.models import BodyFormat, ContentLanguage, Reviewable, ReviewStatus
from crisisdesk.review.rendering import render_html


class KeyMessageKind(models.TextChoices):
    HOLDING_STATEMENT = "holding_statement", _("Holding statement")
    LINE_TO_TAKE = "line_to_take", _("Line to take")
    QA = "qa", _("Q&A")


class KeyMessageQuerySet(models.QuerySet):
    def visible_to(self, user) -> "KeyMessageQuerySet":
        """The only way to list or look up key messages: every role reads them, an outsider none.

        Key messages belong to no incident, so there is no confidentiality to apply: the
        view permission decides (a superuser holds it).
        """
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if not user.has_perm("playbooks.view_keymessage"):
            return self.none()
        return self

    def usable(self, *, today=None) -> "KeyMessageQuerySet":
        """Approved and unexpired: what a statement may start from and be pre-approved by.

        The rule, in SQL; ``KeyMessage.is_usable()`` is the same two conditions for one loaded row.
        Browser, API, admin and the statement services all ask one of these two.
        """
        today = today or timezone.localdate()
        return self.filter(status=ReviewStatus.APPROVED).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))

    def review_overdue(self, *, today=None) -> "KeyMessageQuerySet":
        today = today or timezone.localdate()
        return self.filter(review_due__lt=today).exclude(status__in=[ReviewStatus.WITHDRAWN, ReviewStatus.REJECTED])


class KeyMessage(Reviewable):
    """A pre-approved line (holding statement, line to take, Q&A) that statements reuse.

    Key messages are used, not published: ``approved`` is their live state and
    ``withdrawn`` retires them. A statement that copies one verbatim (same public
    text hash) inherits its Legal approval.
    """

    review_policy = "playbooks.keymessages.services.KeyMessagePolicy"

    kind = models.CharField(
        _("kind"), max_length=20, choices=KeyMessageKind.choices, default=KeyMessageKind.HOLDING_STATEMENT
    )
    topic = models.CharField(_("topic"), max_length=200, help_text=_("What situation it is for, e.g. product recall."))
    title = models.CharField(_("title"), max_length=200, help_text=_("The headline when used as a statement."))
    language = models.CharField(_("language"), max_length=5, choices=ContentLanguage.choices, default="en")
    body = models.TextField(_("body"))
    body_format = models.CharField(_("format"), max_length=10, choices=BodyFormat.choices, default=BodyFormat.PLAIN)
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Not usable after this day."))
    review_due = models.DateField(_("review due"), null=True, blank=True)

    objects = KeyMessageQuerySet.as_manager()

    class Meta(Reviewable.Meta):
        ordering = ["topic", "kind", "id"]
        verbose_name = _("key message")
        verbose_name_plural = _("key messages")
        permissions = [
            ("submit_keymessage", "Can submit a key message for review"),
            ("approve_keymessage", "Can approve or reject a key message (Legal)"),
            ("withdraw_keymessage", "Can retire a key message"),
        ]
        constraints = [
            *Reviewable.Meta.constraints,
            models.CheckConstraint(condition=Q(kind__in=KeyMessageKind.values), name="keymessage_kind_valid"),
            models.CheckConstraint(condition=Q(language__in=ContentLanguage.values), name="keymessage_language_valid"),
            models.CheckConstraint(condition=Q(body_format__in=BodyFormat.values), name="keymessage_format_valid"),
        ]

    def __str__(self):
        return f"{self.topic} — {self.title}"

    def is_usable(self, *, today=None) -> bool:
        """Approved and unexpired (``KeyMessageQuerySet.usable()`` for one row): a statement may start from it."""
        return self.status == ReviewStatus.APPROVED and not self.is_expired(today=today)

    def is_expired(self, *, today=None) -> bool:
        today = today or timezone.localdate()
        return self.valid_until is not None and self.valid_until < today

    def is_review_overdue(self, *, today=None) -> bool:
        today = today or timezone.localdate()
        return self.review_due is not None and self.review_due < today

    def rendered_body(self):
        return render_html(self.body, self.body_format)
