"""Enrolment, recovery codes and the confirm page: real TOTP codes computed from the device key."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from crisisdesk.audit.models import AuditRecord
from crisisdesk.twofactor import services, stepup

from .helpers import code_for, enrol, next_step

pytestmark = pytest.mark.django_db


def test_enrolment_page_shows_an_inline_qr_code_and_the_secret(client_for, communicator):
    response = client_for(communicator).get(reverse("twofactor:enrol"))
    assert response.status_code == 200
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=communicator, confirmed=False)
    assert "<svg" in html and "<img" not in html.split("cd-qr", 1)[1].split("</figure>", 1)[0]
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html
    # Reloading the page keeps the same pending secret (the app may already hold it).
    client_for(communicator).get(reverse("twofactor:enrol"))
    assert TOTPDevice.objects.filter(user=communicator).count() == 1


def test_a_code_from_the_app_confirms_the_device_and_shows_ten_recovery_codes_once(client_for, communicator, clock):
    client = client_for(communicator)
    client.get(reverse("twofactor:enrol"))
    device = TOTPDevice.objects.get(user=communicator)
    response = client.post(reverse("twofactor:enrol"), {"code": code_for(device)})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    codes = [t.token for t in StaticToken.objects.filter(device__user=communicator)]
    assert len(codes) == 10
    assert all(code in response.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert stepup.recent_factor(client.session) == stepup.TOTP
    assert AuditRecord.objects.filter(action="twofactor.enrolled", actor=communicator).count() == 1
    # Enrolled: the page does not offer a second secret, nor show the codes again.
    again = client.get(reverse("twofactor:enrol"))
    assert again.status_code == 302 and again["Location"] == reverse("twofactor:overview")
    overview = client.get(reverse("twofactor:overview")).content.decode()
    assert not any(code in overview for code in codes)


def test_a_wrong_code_does_not_confirm_the_device(client_for, communicator, clock):
    client = client_for(communicator)
    client.get(reverse("twofactor:enrol"))
    device = TOTPDevice.objects.get(user=communicator)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("twofactor:enrol"), {"code": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1  # the failure is counted, not rolled back
    assert not StaticToken.objects.filter(device__user=communicator).exists()
    assert stepup.recent_factor(client.session) is None


def test_confirm_page_accepts_a_fresh_code_and_refuses_a_replayed_one(client_for, legal, clock):
    device, _codes = enrol(legal)
    used = code_for(device)  # the enrolment just used this step's code
    client = client_for(legal)
    response = client.post(reverse("twofactor:confirm"), {"code": used, "next": "/reviews/queue/"})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    assert stepup.confirmed_at(client.session) is None

    next_step(clock)
    response = client.post(reverse("twofactor:confirm"), {"code": code_for(device), "next": "/reviews/queue/"})
    assert response.status_code == 302 and response["Location"] == "/reviews/queue/"
    assert client.session[stepup.FACTOR_KEY] == stepup.TOTP
    assert stepup.confirmed_at(client.session) == timezone.now()


def test_confirm_page_never_redirects_off_site(client_for, legal, clock):
    device, _codes = enrol(legal)
    next_step(clock)
    response = client_for(legal).post(
        reverse("twofactor:confirm"), {"code": code_for(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_a_recovery_code_works_once(client_for, legal, clock):
    _device, codes = enrol(legal)
    client = client_for(legal)
    response = client.post(reverse("twofactor:confirm"), {"code": codes[0].upper()})
    assert response.status_code == 302
    assert client.session[stepup.FACTOR_KEY] == stepup.RECOVERY
    assert services.recovery_codes_left(legal) == 9
    assert AuditRecord.objects.get(action="twofactor.recovery_code_used").data == {"left": 9}

    client.session.flush()
    clock.shift(60)  # past any throttling delay
    client = client_for(legal)
    response = client.post(reverse("twofactor:confirm"), {"code": codes[0]})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    assert stepup.confirmed_at(client.session) is None


def test_renewing_recovery_codes_needs_a_recent_factor_and_voids_the_old_ones(client_for, legal, clock):
    device, old = enrol(legal)
    client = client_for(legal)
    response = client.post(reverse("twofactor:recovery_codes"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("twofactor:confirm"))
    assert services.recovery_codes_left(legal) == 10
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(old)

    next_step(clock)
    client.post(reverse("twofactor:confirm"), {"code": code_for(device)})
    response = client.post(reverse("twofactor:recovery_codes"))
    assert response.status_code == 200
    new = set(StaticToken.objects.values_list("token", flat=True))
    assert len(new) == 10 and not new & set(old)
    assert AuditRecord.objects.filter(action="twofactor.recovery_codes_renewed").count() == 1


def test_confirm_without_a_device_sends_to_enrolment(client_for, communicator):
    response = client_for(communicator).get(reverse("twofactor:confirm"), {"next": "/incidents/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("twofactor:enrol") + "?next=%2Fincidents%2F"


def test_the_pages_need_a_signed_in_user(client):
    for name in ("overview", "enrol", "confirm"):
        response = client.get(reverse(f"twofactor:{name}"))
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_step_up_window_expires(client_for, legal, clock, settings):
    settings.CRISISDESK_STEP_UP_MINUTES = 15
    device, _codes = enrol(legal)
    next_step(clock)
    client = client_for(legal)
    client.post(reverse("twofactor:confirm"), {"code": code_for(device)})
    clock.shift(timedelta(minutes=14))
    assert stepup.recent_factor(client.session) == stepup.TOTP
    clock.shift(timedelta(minutes=2))
    assert stepup.recent_factor(client.session) is None
    assert stepup.recent_factor(client.session, minutes=30) == stepup.TOTP


def test_wrong_codes_are_throttled(client_for, legal, clock):
    device, _codes = enrol(legal)
    next_step(clock)
    client = client_for(legal)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    client.post(reverse("twofactor:confirm"), {"code": wrong})
    response = client.post(reverse("twofactor:confirm"), {"code": code_for(device)})
    assert "Too many wrong codes" in str(response.context["form"].errors["code"])
    clock.shift(2)  # the delay after one wrong code has passed
    assert client.post(reverse("twofactor:confirm"), {"code": code_for(device)}).status_code == 302
