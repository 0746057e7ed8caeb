"""Integration API keys: hashed at rest, scoped, revocable, with the time they were last used.

A key is shown once, when it is created (``<prefix>.<secret>``). Only the prefix (to find
the row) and a SHA-256 digest of the whole key are stored: the secret has 256 bits of
entropy, so a fast hash is enough — unlike a password there is nothing to brute-force.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
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


__all__ = ["APIKey", "Scope", "generate_key", "hash_key"]
