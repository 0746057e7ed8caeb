"""Statements: the public words of an incident, reviewed by the engine in ``crisisdesk.review``.

Imported at the end of ``incidents/models.py`` so Django sees these models as
part of the incidents app.
"""

from itertools import combinations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crisisdesk.review.models import BodyFormat, ContentLanguage, Reviewable, ReviewStatus
from crisisdesk.review.rendering import render_html, render_plain
from incidents.models import INTERNAL_CHANNELS, Channel, Fact, FactStatus, Incident

__all__ = ["CHANNEL_LIMITS", "SHORT_CHANNELS", "Statement", "StatementPublication", "StatementQuerySet"]

# Platform length limits, in characters of copy-ready text; None means no limit.
# Enforced at publish time; shown next to each channel's copy text.
CHANNEL_LIMITS: dict[str, int | None] = {
    Channel.X: 280,
    Channel.FACEBOOK: 63206,
    Channel.INSTAGRAM: 2200,
    Channel.LINKEDIN: 3000,
    Channel.TIKTOK: 2200,
    Channel.WEBSITE: None,
    Channel.PRESS_RELEASE: None,
    Channel.CUSTOMER_EMAIL: None,
    Channel.INTERNAL_MEMO: None,
}

# Channels that carry the body alone; the others get the title as a heading.
SHORT_CHANNELS = (Channel.X, Channel.FACEBOOK, Channel.INSTAGRAM, Channel.LINKEDIN, Channel.TIKTOK)


def _internal_only_channel_lists() -> list[list[str]]:
    """Every channel list made of internal channels only, as stored (``Channel`` order, no duplicates).

    Channel lists are normalised by the statement services, so "all internal" is one of these
    few exact values: an exact JSON match works on SQLite and PostgreSQL alike, where a
    containment lookup would not.
    """
    ordered = [c for c in Channel.values if c in INTERNAL_CHANNELS]
    return [list(combo) for size in range(1, len(ordered) + 1) for combo in combinations(ordered, size)]


class StatementQuerySet(models.QuerySet):
    def visible_to(self, user) -> "StatementQuerySet":
        """Statements of the incidents ``user`` may see: confidential ones stay hidden."""
        if not user or not user.is_authenticated or not user.has_perm("incidents.view_statement"):
            return self.none()
        return self.filter(incident__in=Incident.objects.visible_to(user))

    def with_refuted_fact_count(self) -> "StatementQuerySet":
        """Annotate ``refuted_fact_count``: how many cited facts are refuted (one query for a list)."""
        return self.annotate(
            refuted_fact_count=models.Count("facts", filter=Q(facts__status=FactStatus.REFUTED), distinct=True)
        )

    def public(self) -> "StatementQuerySet":
        """What the newsroom may show: went out on at least one public channel, of no confidential incident or exercise.

        The one rule for the newsroom page, its feed and its entry pages. Channels are read from
        the published (approved) revision: what Legal approved is what decides.
        """
        internal_only = Q()
        for channels in _internal_only_channel_lists():
            internal_only |= Q(published_revision__content__channels=channels)
        return self.filter(
            status__in=[ReviewStatus.PUBLISHED, ReviewStatus.WITHDRAWN],
            published_revision__isnull=False,
            incident__confidential=False,
            incident__is_exercise=False,
        ).exclude(internal_only)


class Statement(Reviewable):
    """A public communication of one incident for one or more channels; every edit is a revision."""

    review_policy = "incidents.statements.services.StatementPolicy"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="statements")
    title = models.CharField(_("title"), max_length=200)
    channels = models.JSONField(_("channels"), default=list)
    language = models.CharField(_("language"), max_length=5, choices=ContentLanguage.choices, default="en")
    audience = models.CharField(
        _("audience"), max_length=200, blank=True, help_text=_("Who it speaks to: customers, press, staff…")
    )
    body = models.TextField(_("body"))
    public_context = models.CharField(
        _("public context"),
        max_length=300,
        blank=True,
        help_text=_("Optional line shown on the newsroom as “About: …”; reviewed with the statement."),
    )
    body_format = models.CharField(_("format"), max_length=10, choices=BodyFormat.choices, default=BodyFormat.PLAIN)
    facts = models.ManyToManyField(Fact, blank=True, related_name="statements", verbose_name=_("cited facts"))
    from_key_message = models.ForeignKey(
        "playbooks.KeyMessage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statements",
        verbose_name=_("started from key message"),
    )

    objects = StatementQuerySet.as_manager()

    class Meta(Reviewable.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        permissions = [
            ("submit_statement", "Can submit a statement for review"),
            ("approve_statement", "Can approve or reject a statement (Legal)"),
            ("publish_statement", "Can publish an approved statement and record its live URLs"),
            ("withdraw_statement", "Can withdraw a statement"),
        ]
        indexes = [models.Index(fields=["incident", "status"]), models.Index(fields=["status", "-published_at"])]
        constraints = [
            *Reviewable.Meta.constraints,
            models.CheckConstraint(condition=Q(language__in=ContentLanguage.values), name="statement_language_valid"),
            models.CheckConstraint(condition=Q(body_format__in=BodyFormat.values), name="statement_format_valid"),
        ]

    def __str__(self):
        return self.title

    def refuted_facts(self):
        """The cited facts that have been refuted since (or before) the statement went out."""
        return self.facts.filter(status=FactStatus.REFUTED)

    @property
    def cites_refuted_fact(self) -> bool:
        """A published statement resting on a refuted fact: the war room warns until it is dealt with."""
        if self.status != ReviewStatus.PUBLISHED:
            return False
        count = getattr(self, "refuted_fact_count", None)
        return bool(count) if count is not None else self.refuted_facts().exists()

    def get_channels_display(self) -> list[str]:
        labels = dict(Channel.choices)
        return [str(labels.get(code, code)) for code in self.channels]

    def rendered_body(self):
        """Sanitised HTML of the body: Markdown cannot smuggle a script through."""
        return render_html(self.body, self.body_format)

    def copy_text(self, channel: str) -> str:
        """What staff paste into ``channel``: plain text, with the title where the channel has room for one."""
        body = render_plain(self.body, self.body_format)
        if channel in SHORT_CHANNELS:
            return body
        return f"{self.title}\n\n{body}"

    def channel_texts(self) -> list[dict]:
        """Per channel: copy-ready text, its length, the platform limit and whether it is over."""
        rows = []
        for channel in self.channels:
            text = self.copy_text(channel)
            limit = CHANNEL_LIMITS.get(channel)
            rows.append(
                {
                    "channel": channel,
                    "label": Channel(channel).label if channel in Channel.values else channel,
                    "text": text,
                    "length": len(text),
                    "limit": limit,
                    "over_limit": limit is not None and len(text) > limit,
                }
            )
        return rows


class StatementPublication(models.Model):
    """Where a published statement went live on one channel, recorded by hand by staff."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="publications")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    url = models.URLField(_("live URL"), max_length=500)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["channel", "recorded_at"]
        verbose_name = _("statement publication")
        verbose_name_plural = _("statement publications")
        constraints = [
            models.UniqueConstraint(fields=["statement", "channel", "url"], name="statement_publication_unique_url"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="statement_publication_channel_valid"),
        ]

    def __str__(self):
        return f"{self.statement_id} {self.channel} {self.url}"
