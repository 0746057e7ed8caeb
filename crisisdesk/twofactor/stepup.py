"""Step-up: the acts that decide what the organisation says in public need a second factor confirmed lately.

``require_recent_factor(request)`` is the one check. Browser views, the admin and the API call it
before the review engine's approve, publish and withdraw services (and the user admin before a role
change); it answers the factor kind that confirmed (``totp``, ``recovery`` or ``passkey``), recorded in the audit
event, or raises ``StepUpRequired`` (browser: off to the confirm page; API: 403 ``step_up_required``).
A personal token or an integration key never carries a confirmed factor: ``TokenCannotStepUp`` (403),
unless a team lead enabled approvals for it (``crisisdesk.apikeys.grants``): then the factor is
``token-grant`` and the audit event also names the grant.

Who must step up: everyone while ``CRISISDESK_2FA_ENFORCE`` is on; while it is off (``make demo``, the
test suite) only someone who enrolled a device of their own accord. The confirmation lives in the
session (time and kind), written by the confirm page (``record_confirmation``).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

CONFIRMED_AT_KEY = "twofactor_confirmed_at"
FACTOR_KEY = "twofactor_factor"
TOTP = "totp"
RECOVERY = "recovery"
PASSKEY = "passkey"
FACTOR_KINDS = (TOTP, RECOVERY, PASSKEY)
TOKEN_GRANT = "token-grant"


class TokenGrantFactor(str):
    """``"token-grant"``, carrying the id of the approval grant that let the token act (``grant_id``)."""

    grant_id: int

    def __new__(cls, grant_id: int):
        factor = super().__new__(cls, TOKEN_GRANT)
        factor.grant_id = grant_id
        return factor


class StepUpRequired(PermissionDenied):
    """No second factor confirmed within the step-up window (API: 403 with ``code``)."""

    code = "step_up_required"

    def __init__(self, message: str = ""):
        super().__init__(message or _("Confirm your second factor first: this action needs a recent confirmation."))


class TokenCannotStepUp(PermissionDenied):
    """A personal token or an integration key asked for an act that needs a confirmed second factor."""

    code = "token_not_allowed"

    def __init__(self):
        super().__init__(
            _("Approving, publishing and withdrawing need a signed-in session with a second factor, not a token.")
        )


def step_up_minutes() -> int:
    return settings.CRISISDESK_STEP_UP_MINUTES


def enforced() -> bool:
    return bool(settings.CRISISDESK_2FA_ENFORCE)


def has_device(user) -> bool:
    """An authenticator app or a passkey confirmed (recovery codes alone do not count: they back the app up)."""
    if not user.is_authenticated:
        return False
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def factor_required(user) -> bool:
    """Must ``user`` hold a second factor (enforcement on, and a required role or a superuser)?"""
    if not enforced() or not user.is_authenticated:
        return False
    if user.is_superuser and settings.CRISISDESK_2FA_REQUIRED_FOR_SUPERUSERS:
        return True
    return user.groups.filter(name__in=settings.CRISISDESK_2FA_REQUIRED_ROLES).exists()


def step_up_applies(user) -> bool:
    """Do this user's approvals need a recent factor? Always under enforcement; else once they enrolled."""
    return enforced() or has_device(user)


def record_confirmation(session, kind: str) -> None:
    """The person just proved a factor of ``kind``: remember when, for the step-up window."""
    if kind not in FACTOR_KINDS:
        raise ValueError(f"unknown factor kind {kind!r}")
    session[CONFIRMED_AT_KEY] = timezone.now().isoformat()
    session[FACTOR_KEY] = kind


def confirmed_at(session) -> datetime | None:
    value = session.get(CONFIRMED_AT_KEY)
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def recent_factor(session, minutes: int | None = None) -> str | None:
    """The factor kind confirmed in this session within the last ``minutes``, else None."""
    minutes = step_up_minutes() if minutes is None else minutes
    at = confirmed_at(session)
    if at is None or timezone.now() - at > timedelta(minutes=minutes):
        return None
    kind = session.get(FACTOR_KEY)
    return kind if kind in FACTOR_KINDS else None


def _authenticated_by_token(request) -> bool:
    """A DRF request authenticated by a personal token or an integration key (not the session)."""
    from rest_framework.authentication import SessionAuthentication

    authenticator = getattr(request, "successful_authenticator", None)
    if authenticator is None or isinstance(authenticator, SessionAuthentication):
        return False
    # Tests' force_authenticate stands in for a session: it carries the test client's session.
    return type(authenticator).__name__ != "ForcedAuthentication"


def require_recent_factor(request, minutes: int | None = None) -> str:
    """Raise unless the request's user confirmed a second factor in the last ``minutes``; return its kind.

    Returns ``""`` when step-up does not apply to this user (enforcement off and no device enrolled).
    ``request`` is a Django ``HttpRequest`` or a DRF ``Request``; a token is refused unless it holds an
    active approval grant (then ``TokenGrantFactor``, ``"token-grant"``).
    """
    if _authenticated_by_token(request):
        from crisisdesk.apikeys.grants import grant_for

        grant = grant_for(request.auth)
        if grant is None:
            raise TokenCannotStepUp()
        return TokenGrantFactor(grant.pk)
    user = request.user
    if not step_up_applies(user):
        return ""
    kind = recent_factor(request.session, minutes)
    if kind is None:
        raise StepUpRequired()
    return kind


def page_of(request, default: str) -> str:
    """The page a POST was sent from (its Referer, when on this site), else ``default``.

    The confirm page sends the person back there: the POST itself is never replayed, nothing it
    asked for has happened, and the person presses the button again.
    """
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return default


def confirm_url(next_url: str = "") -> str:
    """The confirm page, coming back to ``next_url`` once confirmed."""
    from urllib.parse import urlencode

    url = reverse("twofactor:confirm")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url
