"""Authentication backends: OpenID Connect sign-in with role sync, and the switchable local password sign-in."""

import logging
from contextlib import contextmanager

import jwt
import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from crisisdesk.audit.services import audit_record, state_of
from crisisdesk.roles import ALL_ROLES
from crisisdesk.sso.conf import default_role_values
from crisisdesk.userperms import user_with_permissions

logger = logging.getLogger(__name__)

REFUSAL_SESSION_KEY = "sso_refusal"
# Why a sign-in was refused, for the refusal page: the provider's answer failed a check, the provider did
# not answer properly (down, too slow, an error status), or the person is unknown and JIT creation is off.
REFUSED_INVALID = "invalid"
REFUSED_UNAVAILABLE = "unavailable"
REFUSED_UNKNOWN = "unknown"
# An error status that says "try later", not "your request was wrong".
UNAVAILABLE_STATUSES = {429, 500, 502, 503, 504}
LOGGED_ERROR_LENGTH = 300


def local_login_mode() -> str:
    return getattr(settings, "CRISISDESK_LOCAL_LOGIN", "all")


class PermissionsWithUserMixin:
    """Loads the signed-in user and their permissions in one query instead of three.

    Django's ModelBackend reads the user (session sign-in), then on the first ``has_perm`` the
    user's own permissions, then their groups'. Here the permission names come with the user row
    (a scalar subquery) and fill the same per-request cache Django's ``has_perm`` reads
    (``_perm_cache`` on this user object): the same permissions, read at the same moment, so no
    check is looser or staler. Superusers (Django answers every ``has_perm`` for them) and
    inactive users (no permission at all) get nothing precomputed.
    """

    def get_user(self, user_id):
        user = user_with_permissions("pk", user_id)
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None


class LocalModelBackend(PermissionsWithUserMixin, ModelBackend):
    """Django's password sign-in, switchable: ``all``, ``superusers`` (break-glass) or ``off``."""

    def user_can_authenticate(self, user):
        mode = local_login_mode()
        if mode == "off" or (mode == "superusers" and not user.is_superuser):
            return False
        return super().user_can_authenticate(user)


def axes_exempt(request, credentials=None) -> bool:
    """``AXES_WHITELIST_CALLABLE``: the OpenID Connect callback is neither counted nor locked out by django-axes.

    It carries no password to guess (the provider authenticates the person; the one-time code, state
    and nonce are checked), and its failures are the provider's: counted, a provider outage would lock
    a whole office's address out of SSO (axes keys them by address alone) long after the provider is back.
    """
    path = getattr(request, "path", None)
    return path is not None and path == reverse("oidc_authentication_callback")


def mapped_roles(claims: dict) -> set[str]:
    """The managed role groups the claims grant (claim name and values are configurable)."""
    claim = getattr(settings, "OIDC_ROLES_CLAIM", "groups")
    values = claims.get(claim) or []
    if isinstance(values, str):
        values = [values]
    mapping = getattr(settings, "OIDC_ROLE_VALUES", None) or default_role_values()
    return {mapping[value] for value in values if isinstance(value, str) and value in mapping}


def sync_roles(*, user, claims: dict) -> tuple[set[str], set[str]]:
    """Make the user's managed role groups match the claims; other groups and is_superuser are untouched."""
    wanted = mapped_roles(claims)
    with transaction.atomic():
        current = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        added, removed = wanted - current, current - wanted
        if added or removed:
            for name in added:
                group, _ = Group.objects.get_or_create(name=name)
                user.groups.add(group)
            if removed:
                user.groups.remove(*Group.objects.filter(name__in=removed))
            audit_record(
                actor=user,
                action="sso.roles_synced",
                target=user,
                from_state=state_of(current),
                to_state=state_of(wanted),
                comment="OpenID Connect sign-in",
            )
    return added, removed


class OIDCBackend(PermissionsWithUserMixin, OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, with strict token checks and role sync on every sign-in."""

    def authenticate(self, request, **kwargs):
        # Whatever the provider answers, the person gets the refusal page, never a 500: its answers are
        # checked below (``_malformed_json_refused``, ``_require_object``) and every way the exchange can fail
        # ends here (or in ``get_or_create_user``), logged once.
        try:
            return super().authenticate(request, **kwargs)
        except requests.RequestException as exc:
            reason = _request_failure_reason(exc)
            error = exc
        except (SuspiciousOperation, jwt.PyJWTError, ValueError, KeyError) as exc:
            reason, error = REFUSED_INVALID, exc
        _refuse(request, reason, error)
        return None

    def get_token(self, payload):
        with _malformed_json_refused("token endpoint"):
            token_info = super().get_token(payload)
        _require_object(token_info, "token endpoint")
        if not isinstance(token_info.get("id_token"), str):
            raise SuspiciousOperation("The token endpoint's answer has no ID token.")
        return token_info

    def retrieve_matching_jwk(self, token):
        try:
            with _malformed_json_refused("JWKS endpoint"):
                return super().retrieve_matching_jwk(token)
        except (TypeError, AttributeError) as exc:
            # A JWKS that is not {"keys": [{...}, ...]}.
            raise SuspiciousOperation(f"The JWKS endpoint's answer is not a key set: {exc}") from exc

    def verify_token(self, token, **kwargs):
        """Signature (RS256 key from the JWKS), expiry, audience, issuer (if configured) and nonce."""
        key = self.OIDC_RP_IDP_SIGN_KEY or self.retrieve_matching_jwk(token)
        issuer = getattr(settings, "OIDC_OP_ISSUER", "") or None
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=issuer,
                options={"require": ["exp", "iat", "aud", "sub"], "verify_iss": bool(issuer)},
                leeway=30,
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
        if self.get_settings("OIDC_USE_NONCE", True) and kwargs.get("nonce") != payload.get("nonce"):
            raise SuspiciousOperation("JWT Nonce verification failed.")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        claims = dict(payload)
        with _malformed_json_refused("userinfo endpoint"):
            userinfo = super().get_userinfo(access_token, id_token, payload)
        claims.update(_require_object(userinfo, "userinfo endpoint"))
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("Userinfo subject does not match the ID token.")
        return claims

    def verify_claims(self, claims):
        return bool(claims.get("email"))

    def get_or_create_user(self, access_token, id_token, payload):
        try:
            user = super().get_or_create_user(access_token, id_token, payload)
        except SuspiciousOperation as exc:
            # mozilla-django-oidc would swallow this one itself, without our log line and refusal reason.
            _refuse(self.request, REFUSED_INVALID, exc)
            return None
        if user is None and self.request is not None:
            self.request.session[REFUSAL_SESSION_KEY] = REFUSED_UNKNOWN
        return user

    def get_username(self, claims):
        return (claims.get("preferred_username") or claims["email"])[:150]

    def create_user(self, claims):
        with transaction.atomic():
            user = self.UserModel.objects.create_user(
                username=self.get_username(claims),
                email=claims["email"],
                first_name=(claims.get("given_name") or "")[:150],
                last_name=(claims.get("family_name") or "")[:150],
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            sync_roles(user=user, claims=claims)
        return user

    def update_user(self, user, claims):
        if not user.is_active:
            return user
        sync_roles(user=user, claims=claims)
        return user


def _refuse(request, reason: str, error: Exception) -> None:
    """One log line per refused sign-in, and the reason the refusal page explains."""
    logger.warning("OpenID Connect sign-in refused (%s): %s", reason, str(error)[:LOGGED_ERROR_LENGTH])
    if request is not None and hasattr(request, "session"):
        request.session[REFUSAL_SESSION_KEY] = reason


def _request_failure_reason(exc: requests.RequestException) -> str:
    """Down, too slow or "try later" (5xx, 429): unavailable; any other error status (400 invalid_grant): invalid."""
    response = getattr(exc, "response", None)
    if response is None or response.status_code in UNAVAILABLE_STATUSES:
        return REFUSED_UNAVAILABLE
    return REFUSED_INVALID


@contextmanager
def _malformed_json_refused(endpoint: str):
    """Malformed JSON from an endpoint is a refused answer, not a network error (requests' JSONDecodeError is both)."""
    try:
        yield
    except requests.JSONDecodeError as exc:
        raise SuspiciousOperation(f"The {endpoint} answered with malformed JSON: {exc}") from exc


def _require_object(answer, endpoint: str) -> dict:
    if not isinstance(answer, dict):
        raise SuspiciousOperation(f"The {endpoint}'s answer is not a JSON object.")
    return answer
