"""DRF plumbing for integration keys: authentication, scope permission, per-key throttle.

A request sends ``Authorization: Api-Key <prefix>.<secret>``. A revoked, unknown or wrong key
is a 401 (never a silent fall-through to another scheme). The request then runs as the key's
user, with ``request.auth`` the key. The scope check lives here too, so it covers every endpoint
at once: a view opts in to keys by declaring ``required_scope`` (or ``required_scopes`` per
action); a key on any other endpoint, or without the scope, is a 403.
"""

import re

from django.conf import settings
from django.db.models import OuterRef
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, throttling

from crisisdesk.compiled import CompiledLookup
from crisisdesk.userperms import ANNOTATION, permission_names, remember_permissions

from .models import PREFIX_LENGTH, APIKey
from .services import apikey_touch

KEYWORD = "Api-Key"
PREFIX = re.compile(f"[0-9a-f]{{{PREFIX_LENGTH}}}")

# Compiled once per process (crisisdesk.compiled): building the permission subquery was about an eighth
# of a 200-mention bulk-ingest request's CPU. The prefix is unique: one row or none.
KEY_WITH_USER = CompiledLookup(
    lambda prefix: (
        APIKey.objects.select_related("user")
        .annotate(**{ANNOTATION: permission_names(OuterRef(OuterRef("user_id")))})
        .filter(prefix=prefix)
    ),
    sentinels={"prefix": "\x00crisisdesk-apikey"},
)


class APIKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate ``Authorization: Api-Key <key>``; answers 401 for an unknown or revoked key."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid API key header."))
        try:
            raw_key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        prefix = raw_key.split(".", 1)[0]
        if not PREFIX.fullmatch(prefix):  # not one generate_key makes (and no NUL for PostgreSQL to refuse)
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        # The key's user and their permissions in one query (crisisdesk.userperms), read on every request.
        key = KEY_WITH_USER.first(prefix=prefix)
        if key is None or not key.matches(raw_key):
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        if not key.is_active:
            raise exceptions.AuthenticationFailed(_("This API key was revoked."))
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed(_("The account behind this API key is disabled."))
        remember_permissions(key.user, key)
        self.check_scope(request, key)
        apikey_touch(key=key)
        return key.user, key

    def check_scope(self, request, key: APIKey) -> None:
        view = (getattr(request, "parser_context", None) or {}).get("view")
        scopes = getattr(view, "required_scopes", {}) or {}
        scope = scopes.get(getattr(view, "action", None)) or getattr(view, "required_scope", None)
        if scope is None:
            raise exceptions.PermissionDenied(_("API keys are not accepted on this endpoint."))
        if not key.has_scope(scope):
            raise exceptions.PermissionDenied(
                _("This API key lacks the %(scope)s scope this endpoint needs.") % {"scope": scope}
            )

    def authenticate_header(self, request):
        return KEYWORD


def request_key(request) -> APIKey | None:
    return request.auth if isinstance(request.auth, APIKey) else None


class APIKeyRateThrottle(throttling.SimpleRateThrottle):
    """One bucket per API key (rate ``apikey``); requests without a key are left to the other throttles."""

    scope = "apikey"

    def get_rate(self):
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope, "1200/min")

    def get_cache_key(self, request, view):
        key = request_key(request)
        if key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": key.pk}
