"""One passkey assertion sent twice at once (two requests of one session, both holding the challenge)
is accepted once: the passkey's row lock makes the second see the counter already moved on.

PostgreSQL only (``scripts/with-postgres.sh``): SQLite has no row locks, so it would prove nothing.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_otp_webauthn.models import WebAuthnCredential

from crisisdesk.testing.factories import UserFactory
from crisisdesk.twofactor import passkeys, stepup

from .authenticator import SoftAuthenticator

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
TRIALS = 10


class Session(dict):
    """What ``request.session`` offers the passkey services (saving is the session middleware's job)."""

    def save(self):
        pass


class Request:
    def __init__(self, user, session):
        self.user = user
        self.session = session


@pytest.fixture(autouse=True)
def relying_party(settings):
    settings.OTP_WEBAUTHN_RP_ID = "testserver"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://testserver"]


def _confirm(request, credential, outcomes, barrier):
    try:
        barrier.wait(timeout=10)
        passkeys.authentication_complete(request=request, credential=credential)
        outcomes.append(stepup.recent_factor(request.session))
    except ValidationError:
        outcomes.append("refused")
    finally:
        connection.close()


def test_the_same_assertion_twice_at_once_is_accepted_once():
    user = UserFactory(username="race-passkey")
    authenticator = SoftAuthenticator()
    setup = Request(user, Session())
    passkeys.registration_complete(
        request=setup, name="Key", credential=authenticator.create(passkeys.registration_begin(request=setup))
    )
    for _trial in range(TRIALS):
        first = Request(user, Session())
        options = passkeys.authentication_begin(request=first)
        second = Request(user, Session(first.session))  # read before either request saved the session
        credential = authenticator.get(options)
        outcomes: list = []
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=_confirm, args=(request, credential, outcomes, barrier))
            for request in (first, second)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        assert sorted(outcomes) == ["passkey", "refused"]
        assert WebAuthnCredential.objects.get(user=user).sign_count == authenticator.sign_count
