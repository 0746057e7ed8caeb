"""CRISISDESK_2FA_ENFORCE: required roles enrol after sign-in, enrolled users confirm at sign-in; role changes step up."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from crisisdesk.audit.services import records_for
from crisisdesk.roles import COMMUNICATOR, TEAM_LEAD
from crisisdesk.testing.factories import UserFactory
from crisisdesk.twofactor import stepup

from .helpers import code_for, confirm, enrol, next_step

pytestmark = pytest.mark.django_db


def sign_in(client, user, password):
    response = client.post(reverse("login"), {"username": user.username, "password": password})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("persona", ["legal", "team_lead", "admin_user"])
def test_required_roles_without_a_device_are_sent_to_enrolment_after_sign_in(
    enforced, request, persona, client, password
):
    user = request.getfixturevalue(persona)
    sign_in(client, user, password)
    response = client.get(reverse("incidents:list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("twofactor:enrol") + "?next=%2Fincidents%2F"
    # The admin too; the enrolment page itself, sign-out and the API stay reachable.
    assert client.get("/admin/")["Location"].startswith(reverse("twofactor:enrol"))
    assert client.get(reverse("twofactor:enrol")).status_code == 200
    assert client.get(reverse("api:incident-list")).status_code == 200


def test_other_roles_are_offered_a_factor_but_not_forced(enforced, communicator, observer, client, password):
    for user in (communicator, observer):
        sign_in(client, user, password)
        assert client.get(reverse("incidents:list")).status_code == 200
        assert b"Set up an authenticator app" in client.get(reverse("twofactor:overview")).content


def test_required_roles_are_a_setting(enforced, settings, legal, communicator, client, password):
    settings.CRISISDESK_2FA_REQUIRED_ROLES = [COMMUNICATOR]
    sign_in(client, legal, password)
    assert client.get(reverse("incidents:list")).status_code == 200
    client.logout()
    sign_in(client, communicator, password)
    assert client.get(reverse("incidents:list"))["Location"].startswith(reverse("twofactor:enrol"))


def test_an_enrolled_user_confirms_the_factor_at_sign_in(enforced, legal, client, password, clock):
    device, _codes = enrol(legal)
    sign_in(client, legal, password)
    response = client.get(reverse("incidents:list"))
    assert response["Location"] == stepup.confirm_url("/incidents/")
    next_step(clock)
    response = client.post(reverse("twofactor:confirm"), {"code": code_for(device), "next": "/incidents/"})
    assert response["Location"] == "/incidents/"
    assert client.get(reverse("incidents:list")).status_code == 200
    # Signed in with the factor: browsing goes on after the step-up window closes.
    clock.shift(timedelta(hours=2))
    assert client.get(reverse("incidents:list")).status_code == 200


def test_enrolment_then_sends_back_where_the_user_was_going(enforced, legal, client, password, clock):
    sign_in(client, legal, password)
    client.get(reverse("twofactor:enrol"))
    device = legal.totpdevice_set.get()
    page = client.post(reverse("twofactor:enrol"), {"code": code_for(device), "next": "/incidents/"})
    assert page.status_code == 200 and 'href="/incidents/"' in page.content.decode()
    assert client.get(reverse("incidents:list")).status_code == 200


def test_without_enforcement_nobody_is_redirected(legal, admin_user, client, password):
    for user in (legal, admin_user):
        sign_in(client, user, password)
        assert client.get(reverse("incidents:list")).status_code == 200


def test_api_sessions_are_not_redirected_but_step_up_still_applies(enforced, legal):
    client = APIClient()
    client.force_login(legal)
    assert client.get(reverse("api:incident-list")).status_code == 200


# --- role changes in the admin ------------------------------------------------------------------------------


def role_change(client, user, group_name):
    return client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "is_active": "on",
            "groups": [Group.objects.get(name=group_name).pk],
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        },
    )


def test_changing_roles_in_the_admin_needs_a_recent_factor(enforced, client, admin_user, clock):
    user = UserFactory(username="promoted", role=COMMUNICATOR)
    device, _codes = enrol(admin_user)
    client.force_login(admin_user)
    confirm(client, device, clock)
    clock.shift(timedelta(minutes=16))

    response = role_change(client, user, TEAM_LEAD)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert "second factor" in str(errors) and reverse("twofactor:confirm") in str(errors)
    assert list(user.groups.values_list("name", flat=True)) == [COMMUNICATOR]

    confirm(client, device, clock)
    response = role_change(client, user, TEAM_LEAD)
    assert response.status_code == 302
    assert list(user.groups.values_list("name", flat=True)) == [TEAM_LEAD]
    assert any(record.to_state == TEAM_LEAD for record in records_for(user))


def test_other_user_fields_change_without_a_factor(enforced, client, admin_user, clock):
    user = UserFactory(username="renamed", role=COMMUNICATOR)
    device, _codes = enrol(admin_user)
    client.force_login(admin_user)
    confirm(client, device, clock)
    clock.shift(timedelta(minutes=30))
    response = role_change(client, user, COMMUNICATOR)  # same role: only the other fields are posted
    assert response.status_code == 302


def test_changing_a_groups_permissions_in_the_admin_needs_a_recent_factor(enforced, client, admin_user, clock):
    from django.contrib.auth.models import Permission

    group = Group.objects.get(name=COMMUNICATOR)
    before = set(group.permissions.values_list("pk", flat=True))
    extra = Permission.objects.exclude(pk__in=before).first()
    device, _codes = enrol(admin_user)
    client.force_login(admin_user)
    confirm(client, device, clock)
    clock.shift(timedelta(minutes=16))
    url = reverse("admin:auth_group_change", args=[group.pk])
    data = {"name": group.name, "permissions": [*before, extra.pk]}
    response = client.post(url, data)
    assert response.status_code == 200 and "second factor" in str(response.context["adminform"].form.errors)
    assert set(group.permissions.values_list("pk", flat=True)) == before

    confirm(client, device, clock)
    assert client.post(url, data).status_code == 302
    assert extra.pk in set(group.permissions.values_list("pk", flat=True))


def test_the_password_cannot_be_changed_before_the_factor_is_confirmed(enforced, legal, client, password):
    enrol(legal)
    sign_in(client, legal, password)
    response = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "a-new-long-pass-42", "new_password2": "a-new-long-pass-42"},
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("twofactor:confirm"))
    legal.refresh_from_db()
    assert legal.check_password(password)
