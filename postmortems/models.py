"""Post-crisis reviews (one per incident, reviewed by the engine in ``crisisdesk.review``) and their action items.

Status fields are written only by ``postmortems.services`` (reviews through the
review engine); the constraints below reject rows a bug in Python could store.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crisisdesk.review.models import Reviewable, ReviewStatus
from incidents.models import Incident

BLAMELESS_HELP = _(
    "Blameless: describe what happened and why the system let it happen, not who is at fault. "
    "Ask “what made this the reasonable thing to do at the time?”."
)

# The narrative sections, in reading order: (field name, heading). Exports and forms follow it.
SECTION_FIELDS = ("summary", "went_well", "went_badly", "root_causes", "lessons")


class Sentiment(models.TextChoices):
    """How the public talked about the crisis at its peak (a judgement until mentions are measured)."""

    UNKNOWN = "", _("Unknown")
    POSITIVE = "positive", _("Mostly positive")
    MIXED = "mixed", _("Mixed")
    NEGATIVE = "negative", _("Mostly negative")
    HOSTILE = "hostile", _("Hostile")


class PostmortemQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PostmortemQuerySet":
        """Reviews of the incidents ``user`` may see: a confidential incident's review stays confidential."""
        if not user or not user.is_authenticated or not user.has_perm("postmortems.view_postmortemreview"):
            return self.none()
        return self.filter(incident__in=Incident.objects.visible_to(user))

    def published(self) -> "PostmortemQuerySet":
        return self.filter(status=ReviewStatus.PUBLISHED)


class PostmortemReview(Reviewable):
    """The post-crisis review of one incident: what happened, what it cost, what we learn; every edit a revision."""

    review_policy = "postmortems.services.PostmortemPolicy"

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, related_name="postmortem", verbose_name=_("incident")
    )
    title = models.CharField(_("title"), max_length=200)
    first_seen_at = models.DateTimeField(
        _("first seen at"),
        null=True,
        blank=True,
        help_text=_("When the first post or article appeared, if known: time to detect is measured from it."),
    )
    summary = models.TextField(_("summary"), blank=True, help_text=_("What happened, in a few sentences."))
    impact_reach = models.PositiveBigIntegerField(
        _("reach"), null=True, blank=True, help_text=_("Estimated people who saw the crisis content.")
    )
    impact_peak_mentions = models.PositiveIntegerField(
        _("peak mention volume"), null=True, blank=True, help_text=_("Mentions in the busiest hour.")
    )
    impact_sentiment = models.CharField(
        _("sentiment"), max_length=12, choices=Sentiment.choices, default=Sentiment.UNKNOWN, blank=True
    )
    impact_press = models.TextField(_("press coverage"), blank=True, help_text=_("Outlets and articles, one a line."))
    went_well = models.TextField(_("what went well"), blank=True, help_text=BLAMELESS_HELP)
    went_badly = models.TextField(_("what went badly"), blank=True, help_text=BLAMELESS_HELP)
    root_causes = models.TextField(_("root causes"), blank=True, help_text=BLAMELESS_HELP)
    lessons = models.TextField(_("lessons"), blank=True, help_text=_("What we will do differently next time."))

    objects = PostmortemQuerySet.as_manager()

    class Meta(Reviewable.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("post-crisis review")
        verbose_name_plural = _("post-crisis reviews")
        permissions = [
            ("submit_postmortemreview", "Can submit a post-crisis review for approval"),
            ("approve_postmortemreview", "Can approve a post-crisis review"),
            ("publish_postmortemreview", "Can publish an approved post-crisis review"),
            ("withdraw_postmortemreview", "Can withdraw a published post-crisis review"),
            ("view_crisis_metrics", "Can see the crisis metrics dashboard"),
        ]
        indexes = [models.Index(fields=["status", "-published_at"])]
        constraints = [
            *Reviewable.Meta.constraints,
            models.CheckConstraint(
                condition=Q(impact_sentiment__in=Sentiment.values), name="postmortem_sentiment_valid"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("postmortems:detail", kwargs={"pk": self.pk})

    def sections(self) -> list[tuple[str, str, str]]:
        """``(field, heading, text)`` of the narrative sections, in reading order."""
        return [(name, str(self._meta.get_field(name).verbose_name), getattr(self, name)) for name in SECTION_FIELDS]


class ActionItemStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("action item status", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    WONT_DO = "wont_do", _("Won't do")


CLOSED_ACTION_STATUSES = (ActionItemStatus.DONE, ActionItemStatus.WONT_DO)


class Priority(models.IntegerChoices):
    HIGH = 1, _("High")
    MEDIUM = 2, _("Medium")
    LOW = 3, _("Low")


class ActionItemQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ActionItemQuerySet":
        """Action items of the reviews ``user`` may see (confidential incidents: their team only)."""
        if not user or not user.is_authenticated or not user.has_perm("postmortems.view_actionitem"):
            return self.none()
        return self.filter(review__incident__in=Incident.objects.visible_to(user))

    def open(self) -> "ActionItemQuerySet":
        return self.exclude(status__in=CLOSED_ACTION_STATUSES)

    def overdue(self, today=None) -> "ActionItemQuerySet":
        return self.open().filter(due_date__lt=today or timezone.localdate())


class ActionItem(models.Model):
    """Something the review decided must change, with an owner and a due date."""

    review = models.ForeignKey(
        PostmortemReview, on_delete=models.CASCADE, related_name="action_items", verbose_name=_("review")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items", verbose_name=_("owner")
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=12, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN, editable=False
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.MEDIUM)
    # The plan this lesson must change; the change itself is a new playbook version, reviewed there.
    playbook = models.ForeignKey(
        "playbooks.Playbook",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
        verbose_name=_("playbook to change"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "priority", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [models.Index(fields=["owner", "status", "due_date"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ActionItemStatus.values), name="action_item_status_valid"),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=3), name="action_item_priority_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["done", "wont_do"], closed_at__isnull=False)
                | Q(status__in=["open", "in_progress"], closed_at__isnull=True),
                name="action_item_closed_has_time",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_ACTION_STATUSES

    def is_overdue(self, today=None) -> bool:
        return not self.is_closed and self.due_date < (today or timezone.localdate())
