"""Incidents: the crisis itself, its team, its timeline and its facts register.

Status fields are never assigned outside ``incidents.services``; the database
constraints below reject rows that a bug in Python could otherwise store.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.lookups import IsNull
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    PRODUCT_DEFECT = "product_defect", _("Product defect")
    SERVICE_OUTAGE = "service_outage", _("Service outage")
    DATA_BREACH = "data_breach", _("Data breach")
    EXECUTIVE_CONDUCT = "executive_conduct", _("Executive conduct")
    OFFENSIVE_CONTENT = "offensive_content", _("Offensive content")
    MISINFORMATION = "misinformation", _("Misinformation")
    VIRAL_COMPLAINT = "viral_complaint", _("Viral complaint")
    LEGAL_REGULATORY = "legal_regulatory", _("Legal / regulatory")
    OTHER = "other", _("Other")


class Severity(models.IntegerChoices):
    CRITICAL = 1, _("1 — Critical")
    HIGH = 2, _("2 — High")
    MEDIUM = 3, _("3 — Medium")
    LOW = 4, _("4 — Low")


class Status(models.TextChoices):
    DETECTED = "detected", _("Detected")
    INVESTIGATING = "investigating", _("Investigating")
    RESPONDING = "responding", _("Responding")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


ACTIVE_STATUSES = (Status.DETECTED, Status.INVESTIGATING, Status.RESPONDING, Status.MONITORING)


class Channel(models.TextChoices):
    X = "x", "X"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    LINKEDIN = "linkedin", "LinkedIn"
    TIKTOK = "tiktok", "TikTok"
    WEBSITE = "website", _("Website")
    PRESS_RELEASE = "press_release", _("Press release")
    CUSTOMER_EMAIL = "customer_email", _("Customer email")
    INTERNAL_MEMO = "internal_memo", _("Internal memo")


# Channels that stay inside the organisation: a statement going out on these alone never
# reaches the public surface (newsroom, its feed, its entry pages).
INTERNAL_CHANNELS: tuple[str, ...] = (Channel.INTERNAL_MEMO,)
PUBLIC_CHANNELS: tuple[str, ...] = tuple(c for c in Channel.values if c not in INTERNAL_CHANNELS)


def incident_visibility(user, through: str = "") -> Q:
    """``Incident.visible_to``'s rule as a condition: not confidential, led by ``user``, or ``user`` a member.

    For a person who holds ``incidents.view_incident`` and is not a superuser (the callers check
    both). ``through`` names the foreign key by which another table's rows reach their incident
    (``"incident"`` for a mention): the rule then reads the joined incident's columns. Reaching it
    through a subquery instead — ``EXISTS (a visible incident whose pk is the row's incident)``
    inside an OR — PostgreSQL turns into a hashed list of every visible incident, 100,000 rows
    read on each request.

    The membership test differs with the table, by measurement (EXPLAIN ANALYZE, 100,000 incidents, a
    member of 4,143 of them). On incidents themselves it is a correlated scalar subquery,
    ``(SELECT 1 … LIMIT 1) IS NOT NULL``: as an ``EXISTS``, PostgreSQL plans it as a hashed list of every
    incident the person is a member of, built before the first row even for a page of 20, because it
    plans for the whole table (the API's page of 20: 2.8 ms → 0.1 ms; the incident list page's query
    6.9 → 1.8 ms; the dashboard's ranking 6.7 → 3.6 ms). A count over every visible incident is
    slower this way (43 ms against 35), and no hot page makes one. Through another table it stays an
    ``EXISTS``: there the scalar form turned the mention inbox's capped count into a hash join over
    every incident (18 → 28 ms).
    """
    prefix = f"{through}__" if through else ""
    member = Membership.objects.filter(user=user, incident_id=OuterRef(through or "pk")).order_by()
    if through:
        is_member = Exists(member)
    else:
        is_member = Q(IsNull(models.Subquery(member.values(one=models.Value(1))[:1]), False))
    return Q(**{f"{prefix}confidential": False}) | Q(**{f"{prefix}lead": user}) | is_member


def linked_incident_visibility(user, through: str = "incident") -> Q:
    """Rows of another table linked to no incident, or to one ``user`` may see (``incident_visibility``).

    For a person who may read those rows and is not a superuser (the callers check both); without
    ``incidents.view_incident`` only the unlinked rows are left.
    """
    unlinked = Q(**{f"{through}__isnull": True})
    if not user.has_perm("incidents.view_incident"):
        return unlinked
    return unlinked | incident_visibility(user, through)


def visibility_scope(user) -> str | None:
    """Which of ``visible_to``'s rules applies to ``user``: None (no incident), ``"all"``, or ``"rule"``.

    ``"rule"`` is ``incident_visibility``: not confidential, led by the user, or the user a member.
    The scope depends only on the user, not on the incident: a statement compiled for one scope
    (``IncidentQuerySet.in_scope``) is the same for every user of that scope, only the user's id differs.
    """
    if not user or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return "all"
    if not user.has_perm("incidents.view_incident"):
        return None
    return "rule"


class IncidentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "IncidentQuerySet":
        """The only way to list or look up incidents: hides confidential ones from non-members."""
        return self.in_scope(visibility_scope(user), user)

    def in_scope(self, scope: str | None, user) -> "IncidentQuerySet":
        """``visible_to`` for a scope ``visibility_scope`` gave; ``user`` is the person or their id."""
        if scope is None:
            return self.none()
        if scope == "all":
            return self
        if scope != "rule":
            raise ValueError(f"Unknown visibility scope {scope!r}.")
        return self.filter(incident_visibility(user))

    def active(self) -> "IncidentQuerySet":
        return self.filter(status__in=ACTIVE_STATUSES)

    def with_team_flags(self, user) -> "IncidentQuerySet":
        """Whether ``user`` (the person or their id) is on each incident's team, and whether as its lead, read with the incident.

        ``permissions.is_member`` and ``permissions.is_incident_lead`` answer from these (for this user
        only: ``team_flags_for`` names whom they describe) instead of a query each or a prefetch of the
        whole team. For a page that shows one incident's answers, not its team (the API detail).
        """
        user_pk = getattr(user, "pk", user)  # the person, or their id
        team = Membership.objects.filter(incident=OuterRef("pk"), user=user_pk)
        return self.annotate(
            team_flags_for=models.Value(user_pk, output_field=models.BigIntegerField()),
            viewer_on_team=Exists(team),
            viewer_leads_team=Exists(team.filter(role__code=LEAD_ROLE_CODE)),
        )


class ReferenceCounter(models.Model):
    """Last incident number handed out per year; its row lock serialises reference allocation."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class Incident(models.Model):
    """One online reputation crisis, from first detection to closure."""

    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices, default=Category.OTHER)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DETECTED, editable=False
    )
    source = models.CharField(
        _("source"), max_length=300, blank=True, help_text=_("Where it was first seen: a post, an article, a call.")
    )
    affected_channels = models.JSONField(_("affected channels"), default=list, blank=True)
    confidential = models.BooleanField(
        _("confidential"), default=False, help_text=_("Visible only to the crisis team and administrators.")
    )
    is_exercise = models.BooleanField(
        _("exercise"), default=False, help_text=_("A drill: nothing leaves the building.")
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_incidents",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    detected_at = models.DateTimeField(_("detected at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True, editable=False)
    first_public_response_at = models.DateTimeField(
        _("first public response at"), null=True, blank=True, editable=False
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        permissions = [
            ("transition_incident", "Can move an incident through its status workflow"),
            ("close_incident", "Can close an incident"),
            ("manage_incident", "Can set severity, lead and crisis team of any incident"),
        ]
        indexes = [
            models.Index(fields=["status", "severity"]),
            models.Index(fields=["-detected_at", "-id"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4), name="incident_severity_1_to_4"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="incident_status_valid"),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="incident_category_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=[Status.RESOLVED, Status.CLOSED]) | Q(resolved_at__isnull=False),
                name="incident_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CLOSED) | Q(closed_at__isnull=False),
                name="incident_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.DETECTED) | Q(acknowledged_at__isnull=False),
                name="incident_past_detected_is_acknowledged",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("incidents:detail", kwargs={"reference": self.reference})

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def get_affected_channels_display(self) -> list[str]:
        labels = dict(Channel.choices)
        return [str(labels.get(code, code)) for code in self.affected_channels]


class IncidentRole(models.Model):
    """A role someone can hold inside one incident (lead, spokesperson…), with its responsibilities."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    responsibilities = models.TextField(_("responsibilities"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("incident role")
        verbose_name_plural = _("incident roles")

    def __str__(self):
        return self.name


LEAD_ROLE_CODE = "lead"


class Membership(models.Model):
    """One person holding one incident role on one crisis team."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="incident_memberships",
        verbose_name=_("person"),
    )
    role = models.ForeignKey(IncidentRole, on_delete=models.PROTECT, related_name="+", verbose_name=_("role"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role__position", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["incident", "user", "role"], name="membership_unique_role_per_person"),
        ]

    def __str__(self):
        return f"{self.user} — {self.role} ({self.incident.reference})"


class TimelineKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    NOTE = "note", _("Note")
    DECISION = "decision", _("Decision")
    ESCALATION = "escalation", _("Escalation")
    STATUS_CHANGE = "status_change", _("Status change")
    SEVERITY_CHANGE = "severity_change", _("Severity change")
    LEAD_CHANGE = "lead_change", _("Lead change")
    TEAM_CHANGE = "team_change", _("Team change")
    EDIT = "edit", _("Edit")
    FACT = "fact", _("Fact")
    STATEMENT = "statement", _("Statement")
    TASK = "task", _("Task")


# Kinds a person may write by hand; the others are written by services.
MANUAL_TIMELINE_KINDS = (TimelineKind.NOTE, TimelineKind.DECISION, TimelineKind.ESCALATION)


class TimelineEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Timeline entries are append-only; write a correcting entry instead.")


class TimelineEntry(models.Model):
    """One append-only line of an incident's log. Corrections are new entries.

    Database triggers (migrations 0002 and 0014) refuse UPDATE, DELETE and TRUNCATE on this
    table, so the rule holds for raw SQL and other processes too.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("kind"), max_length=20, choices=TimelineKind.choices, default=TimelineKind.NOTE)
    body = models.TextField(_("text"))
    # System entries: a code and the values of its sentence, rendered in the reader's language
    # (incidents.timeline); empty for what a person typed. ``body`` keeps the English sentence.
    event = models.CharField(_("event"), max_length=60, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    # PROTECT, not SET_NULL: nulling the author would be an UPDATE, which the trigger refuses (deactivate people).
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = TimelineEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [models.Index(fields=["incident", "-created_at", "-id"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TimelineKind.values), name="timeline_kind_valid"),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # A guard, not business logic: the append-only rule must not depend on callers.
        if self.pk is not None and not self._state.adding:
            raise TypeError("Timeline entries are append-only; write a correcting entry instead.")
        super().save(*args, **kwargs)

    @property
    def text(self) -> str:
        """What the reader sees, in the active language (system entries are rendered from their event)."""
        from incidents import timeline

        return timeline.render(self)


class FactStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    CONFIRMED = "confirmed", _("Confirmed")
    REFUTED = "refuted", _("Refuted")


class Fact(models.Model):
    """One claim in the facts register; statements may only rest on confirmed facts."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="facts")
    claim = models.TextField(_("claim"))
    source = models.CharField(_("source"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=FactStatus.choices, default=FactStatus.UNVERIFIED, editable=False
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    verification_note = models.TextField(_("verification note"), blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("fact")
        verbose_name_plural = _("facts")
        permissions = [("verify_fact", "Can confirm or refute a fact")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=FactStatus.values), name="fact_status_valid"),
            models.CheckConstraint(
                condition=Q(status=FactStatus.UNVERIFIED) | Q(verified_at__isnull=False),
                name="fact_verified_has_time",
            ),
        ]

    def __str__(self):
        return self.claim[:80]
