"""Integration API keys: hashed at rest, scoped, revocable, with the time they were last used.

A key is shown once, when it is created (``<prefix>.<secret>``). Only the prefix (to find
the row) and a SHA-256 digest of the whole key are stored: the secret has 256 bits of
entropy, so a fast hash is enough — unlike a password there is nothing to brute-force.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    INGEST = "ingest", _("Ingest mentions")
    READ = "read", _("Read")
    WRITE = "write", _("Write")


PREFIX_LENGTH = 12


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def generate_key() -> tuple[str, str]:
    """A new ``(prefix, raw_key)``; the raw key is ``prefix.secret``."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return prefix, f"{prefix}.{secrets.token_urlsafe(32)}"


class APIKeyQuerySet(models.QuerySet):
    def active(self) -> "APIKeyQuerySet":
        return self.filter(revoked_at__isnull=True)

    def manageable_by(self, user) -> "APIKeyQuerySet":
        """The keys ``user`` may see and revoke: all for a superuser, else those they created or that act as them."""
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(models.Q(created_by=user) | models.Q(user=user))


class APIKey(models.Model):
    """One integration's credential: acts on behalf of ``user`` within its ``scopes``."""

    name = models.CharField(_("name"), max_length=100, help_text=_("Which integration uses it."))
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.PROTECT,
        related_name="api_keys",
        help_text=_("Reads see what this person may see."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = APIKeyQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def matches(self, raw_key: str) -> bool:
        return secrets.compare_digest(self.key_hash, hash_key(raw_key))


class ApprovalGrantQuerySet(models.QuerySet):
    def active(self) -> "ApprovalGrantQuerySet":
        return self.filter(revoked_at__isnull=True)


class ApprovalGrant(models.Model):
    """A team lead let one token approve, publish and withdraw (``crisisdesk.twofactor.stepup``).

    Exactly one of ``api_key`` (an integration key) and ``token_user`` (the owner of a personal
    token, DRF's one token per person) is set. A grant is never edited back to life: revoking
    sets ``revoked_at``; enabling again makes a new row, so the audit trail names each grant by id.
    """

    api_key = models.ForeignKey(
        APIKey,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approval_grants",
        verbose_name=_("integration key"),
    )
    token_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="token_approval_grants",
        verbose_name=_("personal token of"),
    )
    enabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("enabled by")
    )
    enabled_at = models.DateTimeField(_("enabled at"), default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApprovalGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-enabled_at", "-id"]
        verbose_name = _("approval grant")
        verbose_name_plural = _("approval grants")
        constraints = [
            models.CheckConstraint(
                condition=Q(api_key__isnull=False, token_user__isnull=True)
                | Q(api_key__isnull=True, token_user__isnull=False),
                name="approval_grant_one_token",
            ),
            models.UniqueConstraint(
                fields=["api_key"], condition=Q(revoked_at__isnull=True), name="approval_grant_one_active_per_key"
            ),
            models.UniqueConstraint(
                fields=["token_user"],
                condition=Q(revoked_at__isnull=True),
                name="approval_grant_one_active_per_token",
            ),
        ]

    def __str__(self):
        if self.api_key_id:
            return _("Approvals by key %(key)s") % {"key": self.api_key}
        return _("Approvals by the personal token of %(user)s") % {"user": self.token_user}

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


__all__ = ["APIKey", "ApprovalGrant", "Scope", "generate_key", "hash_key"]
