"""SSO settings read from the environment (called from crisisdesk/settings.py)."""

import json
import os
import urllib.request

from crisisdesk.roles import ALL_ROLES

LOCAL_LOGIN_CHOICES = ("all", "superusers", "off")


def _env(name, default=""):
    return os.environ.get(name, default).strip()


def default_role_values() -> dict[str, str]:
    """Claim value -> role group name; by default the role's own name."""
    return {role: role for role in ALL_ROLES}


def role_values_from_env() -> dict[str, str]:
    """``OIDC_ROLE_<ROLE>`` (e.g. ``OIDC_ROLE_TEAM_LEAD=crisis-leads``) overrides a role's claim value."""
    mapping = {}
    for role in ALL_ROLES:
        key = "OIDC_ROLE_" + role.upper().replace(" ", "_")
        mapping[_env(key, role)] = role
    return mapping


def _discover(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - operator-configured URL
        return json.loads(response.read().decode())


def oidc_settings() -> dict:
    """The ``OIDC_*`` settings for mozilla-django-oidc; empty when SSO is not configured."""
    client_id = _env("OIDC_RP_CLIENT_ID")
    if not client_id:
        return {}
    values = {
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": _env("OIDC_RP_CLIENT_SECRET"),
        "OIDC_RP_SIGN_ALGO": _env("OIDC_RP_SIGN_ALGO", "RS256"),
        "OIDC_RP_SCOPES": _env("OIDC_RP_SCOPES", "openid email profile"),
        "OIDC_USE_NONCE": True,
    }
    endpoints = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
        "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
        "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
        "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    }
    discovery_url = _env("OIDC_OP_DISCOVERY")
    discovered = {}
    if discovery_url and not all(_env(name) for name in endpoints):
        discovered = _discover(discovery_url)
    for name, key in endpoints.items():
        values[name] = _env(name) or discovered.get(key, "")
    values["OIDC_OP_ISSUER"] = _env("OIDC_OP_ISSUER") or discovered.get("issuer", "")
    return values
