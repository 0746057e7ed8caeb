"""Writes of the second factor: enrol a TOTP device, issue recovery codes, verify a code.

Each runs in one transaction and writes a system audit record (``crisisdesk.audit``); codes and
secrets never go into the trail. django-otp does the cryptography: a TOTP code is accepted once
(its time step is remembered, so a replayed code fails) and failures are throttled per device; a
recovery code is deleted as it is used.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from crisisdesk.audit.services import audit_record

from .stepup import RECOVERY, TOTP, has_device

RECOVERY_CODE_COUNT = 10
THROTTLED = "throttled"
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def confirmed_totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def totp_enrolment_start(*, user) -> TOTPDevice:
    """The unconfirmed device whose secret the enrolment page shows (one per user, reused on reload)."""
    if confirmed_totp_device(user) is not None:
        raise ValidationError(_("You already have an authenticator app."))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_enrolment_confirm(*, user, code: str) -> list[str]:
    """Confirm the pending device with a code from the app; answer the new recovery codes (shown once).

    A wrong code is refused after the transaction, so django-otp's failure count (throttling) stays.
    """
    codes = _confirm_pending(user, _clean(code))
    if codes is None:
        raise ValidationError({"code": _("This code is not valid. Check your app's clock and try the next one.")})
    return codes


@transaction.atomic
def _confirm_pending(user, code: str) -> list[str] | None:
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        raise ValidationError(_("Start the enrolment again: no authenticator app is waiting for confirmation."))
    if not device.verify_token(code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    audit_record(actor=user, action="twofactor.enrolled", target=user, to_state=TOTP)
    return _new_recovery_codes(user)


@transaction.atomic
def recovery_codes_regenerate(*, user) -> list[str]:
    """Replace the user's recovery codes by ten new ones (the old ones stop working); shown once."""
    if not has_device(user):
        raise ValidationError(_("Set up an authenticator app or a passkey first."))
    codes = _new_recovery_codes(user)
    audit_record(actor=user, action="twofactor.recovery_codes_renewed", target=user)
    return codes


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _clean(code: str) -> str:
    return "".join((code or "").split()).lower()


def factor_verify(*, user, code: str) -> str:
    """Check a code from the user's app, else one of their recovery codes; answer the kind that matched.

    A wrong code is refused after the transaction, so django-otp's failure count (throttling) stays.
    """
    kind = _match(user, _clean(code)) if code else None
    if kind == THROTTLED:
        raise ValidationError({"code": _("Too many wrong codes: wait a few seconds, then try again.")})
    if kind is None:
        raise ValidationError({"code": _("This code is not valid.")})
    return kind


@transaction.atomic
def _match(user, code: str) -> str | None:
    # The devices are locked: one recovery code posted twice at once is accepted once.
    totp = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    static = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    # The app's throttle guards both; with passkeys only, the recovery codes' own throttle does.
    throttle = totp or static
    if throttle is None:
        return None
    if not throttle.verify_is_allowed()[0]:
        return THROTTLED  # django-otp's growing delay after each wrong code (1 s, 2 s, 4 s…)
    if totp is not None and code.isdigit() and totp.verify_token(code):
        return TOTP
    if static is not None and static.verify_token(code):
        audit_record(
            actor=user, action="twofactor.recovery_code_used", target=user, data={"left": static.token_set.count()}
        )
        return RECOVERY
    return None


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
