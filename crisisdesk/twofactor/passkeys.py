"""Passkeys (WebAuthn) as a second factor: register, confirm, remove — writes and their ceremony state.

django-otp-webauthn holds the credential (a django-otp device) and its helper drives py_webauthn,
which checks every signature, the challenge, the origin (``OTP_WEBAUTHN_ALLOWED_ORIGINS``), the
relying-party id and the signature counter (a lower or equal count, i.e. a cloned key or a replayed
assertion, is refused). The challenge lives in the session and is taken out before anything is
checked, so one challenge serves one attempt; it also expires after ``OTP_WEBAUTHN_TIMEOUT_SECONDS``.
A refused ceremony raises ``ValidationError`` and writes nothing.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.exceptions import OTPWebAuthnApiError
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.settings import app_settings
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException

from crisisdesk.audit.services import audit_record

from . import stepup

REGISTER_STATE_KEY = "twofactor_passkey_register"
AUTHENTICATE_STATE_KEY = "twofactor_passkey_authenticate"
NAME_MAX_LENGTH = 64  # django-otp's Device.name

logger = logging.getLogger(__name__)


def passkeys_of(user):
    """The user's passkeys, oldest first."""
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def _helper(request):
    """django-otp-webauthn's helper around py_webauthn (relying party and origins from the settings)."""
    return WebAuthnCredential.get_webauthn_helper(request=request)


def _remember(session, key: str, state: dict) -> None:
    session[key] = {**state, "at": timezone.now().timestamp()}


def _take(session, key: str) -> dict:
    """The ceremony state, removed from the session first (never usable twice, even after a failure)."""
    state = session.pop(key, None)
    session.save()
    if not isinstance(state, dict) or "challenge" not in state:
        raise ValidationError(_("Start again: this passkey request has expired or was already used."))
    if timezone.now().timestamp() - float(state.get("at", 0)) > app_settings.OTP_WEBAUTHN_TIMEOUT_SECONDS:
        raise ValidationError(_("Start again: this passkey request has expired or was already used."))
    return state


def clean_name(name) -> str:
    """The passkey's name, spaces collapsed; required, at most ``NAME_MAX_LENGTH`` characters."""
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": _("Give this passkey a name, such as the device it is on.")})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": _("Keep the name to %(count)s characters at most.") % {"count": NAME_MAX_LENGTH}}
        )
    return name


def registration_allowed(request) -> None:
    """Someone who already holds a factor adds a passkey only with a recent confirmation (else a
    stolen password would be enough to plant one)."""
    if stepup.has_device(request.user) and stepup.recent_factor(request.session) is None:
        raise stepup.StepUpRequired()


def registration_begin(*, request) -> dict:
    """The creation options for ``navigator.credentials.create`` (the challenge is kept in the session)."""
    registration_allowed(request)
    options, state = _helper(request).register_begin(user=request.user)
    _remember(request.session, REGISTER_STATE_KEY, state)
    return options


def registration_complete(*, request, name: str, credential) -> WebAuthnCredential:
    """Verify the authenticator's answer and keep the passkey under ``name``.

    The first factor of an account counts as confirmed now (as the authenticator app's first code does).
    """
    name = clean_name(name)
    state = _take(request.session, REGISTER_STATE_KEY)
    registration_allowed(request)
    user = request.user
    first_factor = not stepup.has_device(user)
    if not isinstance(credential, dict):
        raise ValidationError(_("The browser's answer could not be read. Try again."))
    try:
        with transaction.atomic():
            device = _helper(request).register_complete(user=user, state=state, data=credential)
            device.name = name
            device.save(update_fields=["name"])
            audit_record(actor=user, action="twofactor.passkey_added", target=user, to_state=stepup.PASSKEY)
    except (WebAuthnException, OTPWebAuthnApiError, KeyError, TypeError, ValueError) as error:
        logger.info("passkey registration refused for user %s: %s", user.pk, error)
        raise ValidationError(_("This passkey could not be verified. Try again.")) from error
    if first_factor:
        stepup.record_confirmation(request.session, stepup.PASSKEY)
    return device


def authentication_begin(*, request) -> dict:
    """The request options for ``navigator.credentials.get``, limited to the user's own passkeys."""
    if not passkeys_of(request.user).exists():
        raise ValidationError(_("You have no passkey yet."))
    options, state = _helper(request).authenticate_begin(user=request.user, require_user_verification=False)
    _remember(request.session, AUTHENTICATE_STATE_KEY, state)
    return options


def authentication_complete(*, request, credential) -> WebAuthnCredential:
    """Verify a signed assertion from one of the user's passkeys and record the factor ``passkey``.

    The passkey's row is locked while its signature counter is checked and moved on, so one assertion
    sent twice at once is accepted once.
    """
    state = _take(request.session, AUTHENTICATE_STATE_KEY)
    refused = ValidationError(_("This passkey could not be verified. Try again."))
    if not isinstance(credential, dict):
        raise refused
    try:
        with transaction.atomic():
            raw_id = parse_authentication_credential_json(credential).raw_id
            sha256 = WebAuthnCredential.get_credential_id_sha256(raw_id)
            if not passkeys_of(request.user).select_for_update().filter(credential_id_sha256=sha256).exists():
                raise refused
            device = _helper(request).authenticate_complete(user=request.user, state=state, data=credential)
    except (WebAuthnException, OTPWebAuthnApiError, KeyError, TypeError, ValueError) as error:
        logger.info("passkey confirmation refused for user %s: %s", request.user.pk, error)
        raise refused from error
    stepup.record_confirmation(request.session, stepup.PASSKEY)
    return device


@transaction.atomic
def passkey_remove(*, user, passkey: WebAuthnCredential) -> None:
    """Delete one of ``user``'s passkeys; refused when it is the last factor of a role that requires one."""
    if passkey.user_id != user.pk:
        raise ValidationError(_("This passkey is not yours."))
    others = (
        passkeys_of(user).exclude(pk=passkey.pk).exists()
        or TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    )
    if not others and stepup.factor_required(user):
        raise ValidationError(_("Your role requires a second factor: add another one before removing this passkey."))
    audit_record(actor=user, action="twofactor.passkey_removed", target=user, from_state=stepup.PASSKEY)
    passkey.delete()
