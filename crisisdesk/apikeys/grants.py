"""Approval grants: a team lead lets one token approve, publish and withdraw; every change audited.

A personal token or an integration key never carries a confirmed second factor, so step-up
(``crisisdesk.twofactor.stepup``) refuses it — unless an active ``ApprovalGrant`` names it.
Enabling needs the team lead's own second factor confirmed lately (the caller passes what
``require_recent_factor`` answered); revoking needs none. Revoking a key, or deleting a personal
token, revokes its grant (``apikey_revoke``, ``signals``).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from crisisdesk.audit.services import audit_record
from crisisdesk.roles import TEAM_LEAD

from .models import APIKey, ApprovalGrant

ENABLE = "approvalgrant.enable"
REVOKE = "approvalgrant.revoke"


def can_grant_approvals(user) -> bool:
    """Team leads and superusers enable and revoke approval grants."""
    if not user or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name=TEAM_LEAD).exists()


def grant_for(auth) -> ApprovalGrant | None:
    """The active grant of the credential a DRF request authenticated with (``request.auth``), if any."""
    if isinstance(auth, APIKey):
        return ApprovalGrant.objects.active().filter(api_key=auth).first()
    if isinstance(auth, Token):
        # A token made after the grant (the old one deleted, a new one issued) is not the one granted.
        # The API's token authentication (crisisdesk.api.authentication) hands over the key and user only.
        created = auth.created or Token.objects.filter(key=auth.key).values_list("created", flat=True).first()
        if created is None:
            return None
        return ApprovalGrant.objects.active().filter(token_user_id=auth.user_id, enabled_at__gte=created).first()
    return None


def grants_by_key(keys) -> dict[int, ApprovalGrant]:
    """``{key id: active grant}`` for the keys a page lists (one query)."""
    grants = ApprovalGrant.objects.active().filter(api_key__in=keys).select_related("enabled_by")
    return {grant.api_key_id: grant for grant in grants}


def tokens_for_granting():
    """Every personal token of an active person, with the person (the token page of team leads)."""
    return Token.objects.filter(user__is_active=True).select_related("user").order_by("user__username")


def grants_by_token_user(user_ids) -> dict[int, ApprovalGrant]:
    grants = ApprovalGrant.objects.active().filter(token_user__in=user_ids).select_related("enabled_by")
    return {grant.token_user_id: grant for grant in grants}


def _describe(grant: ApprovalGrant) -> dict:
    if grant.api_key_id:
        return {"api_key": grant.api_key.prefix, "user": grant.api_key.user_id}
    return {"token_user": grant.token_user_id}


@transaction.atomic
def grant_enable(*, actor, factor: str, api_key: APIKey | None = None, token_user=None) -> ApprovalGrant:
    """Let ``api_key`` or the personal token of ``token_user`` approve; idempotent (the active grant is kept).

    ``factor`` is the kind of second factor the actor confirmed lately (``require_recent_factor``);
    without one (none confirmed, or none enrolled) nothing is enabled.
    """
    from crisisdesk.twofactor.stepup import FACTOR_KINDS, StepUpRequired

    if (api_key is None) == (token_user is None):
        raise ValueError("grant_enable() takes an api_key or a token_user.")
    if not can_grant_approvals(actor):
        raise PermissionDenied(_("Only a team lead may let a token approve."))
    if factor not in FACTOR_KINDS:
        raise StepUpRequired(_("Confirm your own second factor first: letting a token approve needs it."))
    if api_key is not None:
        if not APIKey.objects.manageable_by(actor).filter(pk=api_key.pk).exists():
            raise PermissionDenied(_("You may not change this API key."))
        # The row lock serialises two team leads enabling the same key at once.
        api_key = APIKey.objects.select_for_update().get(pk=api_key.pk)
        if not api_key.is_active:
            raise ValidationError(_("This API key was revoked: it cannot be allowed to approve."))
        existing = ApprovalGrant.objects.active().filter(api_key=api_key).first()
    else:
        token_user = get_user_model().objects.select_for_update().get(pk=token_user.pk)
        if not token_user.is_active or not Token.objects.filter(user=token_user).exists():
            raise ValidationError(_("This person has no personal token to allow."))
        existing = ApprovalGrant.objects.active().filter(token_user=token_user).first()
    if existing is not None:
        return existing
    grant = ApprovalGrant.objects.create(api_key=api_key, token_user=token_user, enabled_by=actor)
    audit_record(
        actor=actor, action=ENABLE, target=grant, to_state="active", data={**_describe(grant), "factor": factor}
    )
    return grant


@transaction.atomic
def grant_revoke(*, actor, grant: ApprovalGrant) -> ApprovalGrant:
    """A team lead revokes a grant: the token is refused approvals again (403). Idempotent."""
    if not can_grant_approvals(actor):
        raise PermissionDenied(_("Only a team lead may revoke a token's approvals."))
    if grant.api_key_id and not APIKey.objects.manageable_by(actor).filter(pk=grant.api_key_id).exists():
        raise PermissionDenied(_("You may not change this API key."))
    return _revoke(actor=actor, grant=grant, reason="")


def revoke_grants_of(*, actor, api_key: APIKey | None = None, token_user_id: int | None = None, reason: str) -> None:
    """Revoke the active grant of a key or token that goes away; inside its transaction.

    ``actor`` revoked the key or deleted the token (``None``: the system or an unknown actor).
    """
    grants = ApprovalGrant.objects.active()
    grants = grants.filter(api_key=api_key) if api_key is not None else grants.filter(token_user_id=token_user_id)
    for grant in grants:
        _revoke(actor=actor, grant=grant, reason=reason)


def _revoke(*, actor, grant: ApprovalGrant, reason: str) -> ApprovalGrant:
    grant = ApprovalGrant.objects.select_for_update(of=("self",)).select_related("api_key").get(pk=grant.pk)
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.revoked_by = actor if actor is not None and actor.is_authenticated else None
        grant.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=grant.revoked_by,
            action=REVOKE,
            target=grant,
            from_state="active",
            to_state="revoked",
            comment=reason,
            data=_describe(grant),
        )
    return grant
