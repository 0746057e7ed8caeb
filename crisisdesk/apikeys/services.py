"""Every write to API keys: create (the raw key is returned once), revoke, record use."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit.services import audit_record

from .grants import revoke_grants_of
from .models import APIKey, Scope, generate_key, hash_key

# ``last_used_at`` is written at most this often per key: one UPDATE per request would
# serialise a busy integration's requests on the key's row.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def can_manage_keys(user) -> bool:
    return user.is_authenticated and user.has_perm("apikeys.add_apikey")


@transaction.atomic
def apikey_create(*, actor, name: str, scopes: list[str], user=None) -> tuple[APIKey, str]:
    """Create a key acting as ``user`` (default: the actor); returns the key and its raw value, shown once."""
    if not can_manage_keys(actor):
        raise PermissionDenied(_("You may not create API keys."))
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown or not scopes:
        raise ValidationError({"scopes": _("Choose one or more of: %s.") % ", ".join(Scope.values)})
    prefix, raw_key = generate_key()
    key = APIKey(
        name=name,
        prefix=prefix,
        key_hash=hash_key(raw_key),
        scopes=[s for s in Scope.values if s in scopes],
        user=user or actor,
        created_by=actor,
    )
    key.full_clean()
    key.save()
    audit_record(
        actor=actor,
        action="apikey.create",
        target=key,
        to_state="active",
        data={"prefix": key.prefix, "scopes": key.scopes, "user": key.user_id},
    )
    return key, raw_key


@transaction.atomic
def apikey_revoke(*, actor, key: APIKey) -> APIKey:
    """Revoke a key: every later request with it answers 401. Idempotent."""
    if not can_manage_keys(actor) or not APIKey.objects.manageable_by(actor).filter(pk=key.pk).exists():
        raise PermissionDenied(_("You may not revoke this API key."))
    key = APIKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="apikey.revoke",
            target=key,
            from_state="active",
            to_state="revoked",
            data={"prefix": key.prefix},
        )
        revoke_grants_of(actor=actor, api_key=key, reason="key revoked")
    return key


def apikey_touch(*, key: APIKey) -> None:
    """Record that the key was used now (coarsely, see ``LAST_USED_RESOLUTION``)."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        APIKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
