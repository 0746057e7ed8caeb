"""Second-factor test helpers: enrol a user for real and compute the codes their app would show."""

from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from crisisdesk.twofactor import services


def code_for(device: TOTPDevice) -> str:
    """The six digits an authenticator app shows now (time-machine moves "now") for ``device``'s key."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def next_step(traveller) -> None:
    """Move the clock to the next 30-second TOTP step (a code already used there cannot be reused)."""
    traveller.shift(31)


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """Enrol ``user`` through the services (as the enrolment page does); answer the device and recovery codes."""
    device = services.totp_enrolment_start(user=user)
    codes = services.totp_enrolment_confirm(user=user, code=code_for(device))
    device.refresh_from_db()
    return device, codes


def confirm(client, device: TOTPDevice, traveller, code: str | None = None):
    """Confirm the factor on the client's session with the next step's code (or ``code``, a recovery code)."""
    from rest_framework.test import APIClient

    if code is None:
        next_step(traveller)
        code = code_for(device)
    extra = {"format": "multipart"} if isinstance(client, APIClient) else {}
    response = client.post(reverse("twofactor:confirm"), {"code": code}, **extra)
    assert response.status_code == 302, response.context["form"].errors
    return client


def statement_awaiting_legal(*, communicator, legal, team_lead, incident):
    """A statement in review that ``legal`` may approve (written by ``communicator``)."""
    from crisisdesk.review.models import ReviewStatus
    from crisisdesk.review.tests.helpers import statement_in

    return statement_in(
        ReviewStatus.IN_REVIEW,
        author=communicator,
        reviewer=legal,
        publisher=communicator,
        withdrawer=team_lead,
        incident=incident,
    )
