"""Social listening: watch terms, mentions, private follow-ups, spike rules and their alerts.

Mentions arrive from integrations (bulk API, CSV, feeds) and are idempotent on
``(platform, external_id)``: a redelivery updates the row. Status and incident link are
ours (triage) and are never overwritten by a redelivery.
"""

from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models import Category, Severity


class WatchTermKind(models.TextChoices):
    BRAND = "brand", _("Brand")
    PRODUCT = "product", _("Product")
    HASHTAG = "hashtag", _("Hashtag")
    PERSON = "person", _("Person")
    OTHER = "other", _("Other")


class WatchTermQuerySet(models.QuerySet):
    def visible_to(self, user) -> "WatchTermQuerySet":
        """Watch terms are not confidential: anyone with the view permission reads them all."""
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_perm("incidents.view_watchterm"):
            return self
        return self.none()


class WatchTerm(models.Model):
    """A word or hashtag we listen for; matched case-insensitively in each mention's text."""

    term = models.CharField(_("term"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=WatchTermKind.choices, default=WatchTermKind.BRAND)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WatchTermQuerySet.as_manager()

    class Meta:
        ordering = ["term"]
        verbose_name = _("watch term")
        verbose_name_plural = _("watch terms")
        constraints = [
            models.UniqueConstraint(models.functions.Lower("term"), name="watchterm_unique_term_ci"),
            models.CheckConstraint(condition=Q(kind__in=WatchTermKind.values), name="watchterm_kind_valid"),
        ]

    def __str__(self):
        return self.term


class MentionStatus(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    ANSWERED = "answered", _("Answered")
    ANSWERED_PRIVATELY = "answered_privately", _("Answered privately")
    IGNORED = "ignored", _("Ignored")
    ESCALATED = "escalated", _("Escalated")


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class SentimentSource(models.TextChoices):
    SUPPLIED = "supplied", _("Supplied by the monitoring tool")
    BUILTIN = "builtin", _("Built-in analyser")


# Bounds of what a mention may hold (the ingest validator, ``parsing.parse_mention``, enforces them;
# the times are also database constraints, so no stored row can break the inbox for everyone).
MENTION_TEXT_MAX = 20_000
AUDIENCE_MAX = 2**53
POSTED_AT_MIN = datetime(1970, 1, 1, tzinfo=UTC)
POSTED_AT_MAX = datetime(2100, 1, 1, tzinfo=UTC)


class MentionQuerySet(models.QuerySet):
    def visible_to(self, user) -> "MentionQuerySet":
        """Mentions this user may read: needs the view permission; a link to a hidden incident hides the mention."""
        from incidents.models import linked_incident_visibility

        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if not user.has_perm("incidents.view_mention"):
            return self.none()
        return self.filter(linked_incident_visibility(user))


class Mention(models.Model):
    """One public post, comment or article that mentions us, as delivered by a monitoring source."""

    platform = models.SlugField(_("platform"), max_length=32)
    external_id = models.CharField(_("external id"), max_length=200)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    author = models.CharField(_("author"), max_length=200, blank=True)
    audience = models.PositiveBigIntegerField(_("audience size"), default=0)
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8, blank=True)
    posted_at = models.DateTimeField(_("posted at"))
    # The source's edit time, when it sends one: with posted_at, the version a redelivery is ranked by.
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    sentiment = models.FloatField(_("sentiment score"), null=True, blank=True)
    sentiment_label = models.CharField(
        _("sentiment"), max_length=8, choices=Sentiment.choices, default=Sentiment.NEUTRAL
    )
    sentiment_source = models.CharField(
        max_length=8, choices=SentimentSource.choices, default=SentimentSource.BUILTIN, editable=False
    )
    status = models.CharField(
        _("status"), max_length=20, choices=MentionStatus.choices, default=MentionStatus.NEW, editable=False
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mentions",
    )
    reply_url = models.URLField(_("public answer URL"), max_length=1000, blank=True)
    source = models.CharField(_("received through"), max_length=16, blank=True, editable=False)
    # The listening source that first delivered it (None for the push API, CSV and legacy feeds).
    origin = models.ForeignKey(
        "incidents.Source",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mentions",
        editable=False,
    )
    # The platform said the post was deleted: kept for the record, no longer live evidence.
    deleted_at = models.DateTimeField(_("deleted at the source"), null=True, blank=True, editable=False)
    watch_terms = models.ManyToManyField(
        WatchTerm, through="MentionTerm", related_name="mentions", verbose_name=_("matched watch terms")
    )
    received_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MentionQuerySet.as_manager()

    class Meta:
        ordering = ["-posted_at", "-id"]
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        indexes = [
            models.Index(fields=["-posted_at", "-id"]),
            models.Index(fields=["status", "-posted_at"]),
            models.Index(fields=["incident", "posted_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="mention_unique_per_platform"),
            models.CheckConstraint(condition=Q(status__in=MentionStatus.values), name="mention_status_valid"),
            models.CheckConstraint(
                condition=Q(sentiment__isnull=True) | Q(sentiment__gte=-1, sentiment__lte=1),
                name="mention_sentiment_range",
            ),
            models.CheckConstraint(
                condition=Q(sentiment_label__in=Sentiment.values), name="mention_sentiment_label_valid"
            ),
            models.CheckConstraint(
                condition=Q(posted_at__gte=POSTED_AT_MIN, posted_at__lt=POSTED_AT_MAX),
                name="mention_posted_at_range",
            ),
            models.CheckConstraint(
                condition=Q(edited_at__isnull=True) | Q(edited_at__gte=POSTED_AT_MIN, edited_at__lt=POSTED_AT_MAX),
                name="mention_edited_at_range",
            ),
            models.CheckConstraint(condition=Q(audience__lte=AUDIENCE_MAX), name="mention_audience_range"),
        ]

    def __str__(self):
        return f"{self.platform}:{self.external_id}"


class MentionTerm(models.Model):
    """A watch term matched in a mention, with the mention's time and tone copied for fast spike queries."""

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="term_matches")
    watch_term = models.ForeignKey(WatchTerm, on_delete=models.CASCADE, related_name="matches")
    # Denormalised from the mention so a spike window is one index range scan on this table.
    posted_at = models.DateTimeField()
    negative = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("matched watch term")
        verbose_name_plural = _("matched watch terms")
        # (watch_term, id): the rows matched since a rule's last evaluation.
        indexes = [models.Index(fields=["watch_term", "posted_at"]), models.Index(fields=["watch_term", "id"])]
        constraints = [
            models.UniqueConstraint(fields=["mention", "watch_term"], name="mentionterm_unique"),
        ]

    def __str__(self):
        return f"{self.mention_id} ~ {self.watch_term_id}"


class FollowUpChannel(models.TextChoices):
    DIRECT_MESSAGE = "direct_message", _("Direct message")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")


class PrivateFollowUpQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PrivateFollowUpQuerySet":
        """Always confidential: only the incident's team (members, lead) and superusers see follow-ups."""
        from incidents.models import Membership

        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        member_of = Membership.objects.filter(user=user).values("incident_id")
        return self.filter(Q(incident__in=member_of) | Q(incident__lead=user))


class PrivateFollowUp(models.Model):
    """A conversation moved out of public view (DM, email, phone) and its outcome; seen by the team only."""

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="follow_ups")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="private_follow_ups")
    channel = models.CharField(_("channel"), max_length=16, choices=FollowUpChannel.choices)
    outcome = models.TextField(_("outcome"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PrivateFollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("private follow-up")
        verbose_name_plural = _("private follow-ups")
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=FollowUpChannel.values), name="followup_channel_valid"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} — {self.mention}"


class SpikeAction(models.TextChoices):
    NOTIFY = "notify", _("Alert only")
    OPEN_INCIDENT = "open_incident", _("Open an incident")
    ATTACH = "attach", _("Attach to an open incident")


class SpikeRuleQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SpikeRuleQuerySet":
        """Rules need the view permission; a rule attached to an incident the user cannot see stays hidden."""
        from incidents.models import Incident

        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if not user.has_perm("incidents.view_spikerule"):
            return self.none()
        return self.filter(Q(attach_to__isnull=True) | Q(attach_to__in=Incident.objects.visible_to(user)))


class SpikeRule(models.Model):
    """When mentions of a watch term spike against their baseline, fire an alert (and maybe open an incident).

    The window (e.g. the last hour) is compared with the same window on each of the past
    ``baseline_days`` days (or, until the term has that history, with the ``recent_windows``
    windows just before; see ``incidents.listening.spikes``). It fires when the window holds at least ``min_count`` mentions and
    either the volume reaches ``volume_factor`` times the baseline average or the negative share
    rises by ``negative_share_rise`` over the baseline's; then it stays quiet for the cool-down.
    """

    name = models.CharField(_("name"), max_length=100)
    watch_term = models.ForeignKey(
        WatchTerm, verbose_name=_("watch term"), on_delete=models.CASCADE, related_name="spike_rules"
    )
    window_minutes = models.PositiveIntegerField(_("window (minutes)"), default=60)
    baseline_days = models.PositiveSmallIntegerField(_("baseline (days)"), default=7)
    min_count = models.PositiveIntegerField(_("minimum mentions"), default=20)
    volume_factor = models.FloatField(_("volume factor"), default=3.0)
    negative_share_rise = models.FloatField(
        _("negative share rise"), default=0.3, help_text=_("E.g. 0.3: from 20% negative to 50% negative.")
    )
    recent_windows = models.PositiveSmallIntegerField(
        _("recent windows"),
        default=3,
        help_text=_("Until the term has history on past days, compare with this many windows just before (0: never)."),
    )
    cooldown_minutes = models.PositiveIntegerField(_("cool-down (minutes)"), default=120)
    action = models.CharField(_("action"), max_length=16, choices=SpikeAction.choices, default=SpikeAction.NOTIFY)
    attach_to = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("attach to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What "Open incident" on one of its alerts pre-fills (and what an incident the rule opens gets).
    default_category = models.CharField(
        _("incident category"), max_length=32, choices=Category.choices, default=Category.VIRAL_COMPLAINT
    )
    default_severity = models.PositiveSmallIntegerField(
        _("incident severity"), choices=Severity.choices, default=Severity.MEDIUM
    )
    active = models.BooleanField(_("active"), default=True)
    # The end of the window of the last alert (data time: a replayed crisis fires in the past).
    last_fired_at = models.DateTimeField(_("last fired at"), null=True, blank=True, editable=False)
    # The last MentionTerm row evaluated: later rows are the new mentions the next evaluation steps through.
    evaluated_through = models.BigIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SpikeRuleQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("spike rule")
        verbose_name_plural = _("spike rules")
        constraints = [
            models.CheckConstraint(condition=Q(action__in=SpikeAction.values), name="spikerule_action_valid"),
            models.CheckConstraint(condition=Q(window_minutes__gte=1), name="spikerule_window_positive"),
            models.CheckConstraint(condition=Q(baseline_days__gte=1), name="spikerule_baseline_positive"),
            models.CheckConstraint(
                condition=Q(default_category__in=Category.values), name="spikerule_default_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(default_severity__in=Severity.values), name="spikerule_default_severity_valid"
            ),
        ]

    def __str__(self):
        return self.name


class AlertQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AlertQuerySet":
        """Alerts this user may read: the view permission; an alert on a hidden incident stays hidden."""
        from incidents.models import linked_incident_visibility

        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if not user.has_perm("incidents.view_alert"):
            return self.none()
        # The rule read on the joined incident: neither "incident IN (every visible incident)" nor
        # EXISTS over incidents, which PostgreSQL hashes whole inside an OR.
        return self.filter(linked_incident_visibility(user))

    def unhandled(self) -> "AlertQuerySet":
        """Alerts nobody has acted on yet: what the dashboard and the navigation badge show."""
        return self.filter(handled_at__isnull=True)


class AlertHandling(models.TextChoices):
    OPENED = "opened", _("Incident opened")
    ATTACHED = "attached", _("Attached to an incident")
    DISMISSED = "dismissed", _("Dismissed")


class Alert(models.Model):
    """A spike rule fired: what it saw (counts, baseline, curve, sample mentions) and what it did."""

    rule = models.ForeignKey(SpikeRule, on_delete=models.CASCADE, related_name="alerts")
    watch_term = models.ForeignKey(WatchTerm, on_delete=models.CASCADE, related_name="alerts")
    fired_at = models.DateTimeField(_("fired at"), db_index=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    count = models.PositiveIntegerField(_("mentions in window"))
    baseline = models.FloatField(_("baseline mentions"))
    negative_share = models.FloatField(_("negative share"))
    baseline_negative_share = models.FloatField(_("baseline negative share"))
    evidence = models.JSONField(default=dict, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    # Who acted on it and how (an incident opened or attached, or dismissed with a reason);
    # unhandled alerts are on the dashboard and counted in the navigation until then.
    handling = models.CharField(_("handling"), max_length=16, choices=AlertHandling.choices, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dismiss_reason = models.TextField(_("reason for dismissing"), blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-fired_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            # The navigation badge: a COUNT over the (few) unhandled alerts.
            models.Index(fields=["-fired_at"], condition=Q(handled_at__isnull=True), name="alert_unhandled_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(handling="") | Q(handling__in=AlertHandling.values), name="alert_handling_valid"
            ),
            models.CheckConstraint(
                condition=Q(handling="", handled_at__isnull=True) | (~Q(handling="") & Q(handled_at__isnull=False)),
                name="alert_handled_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(handling="dismissed") | ~Q(dismiss_reason=""), name="alert_dismissed_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.rule} @ {self.fired_at:%Y-%m-%d %H:%M}"


__all__ = [
    "Alert",
    "AlertHandling",
    "FollowUpChannel",
    "Mention",
    "MentionStatus",
    "MentionTerm",
    "PrivateFollowUp",
    "Sentiment",
    "SentimentSource",
    "SpikeAction",
    "SpikeRule",
    "WatchTerm",
    "WatchTermKind",
]
