"""Persona fixtures every test uses: one user per global role, an outsider and an admin."""

import os

import pytest

from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD
from crisisdesk.testing.factories import PASSWORD, IncidentFactory, MembershipFactory, UserFactory, role


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and debounce marks live in the cache, which outlives a test: every test starts empty."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api(people):
    """``api("legal")`` → a DRF API client logged in as that persona (or as a given user)."""
    from rest_framework.test import APIClient

    def client_as(persona) -> APIClient:
        user = people[persona] if isinstance(persona, str) else persona
        client = APIClient()
        client.force_login(user)
        return client

    return client_as


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def communicator(db):
    return UserFactory(username="comms", role=COMMUNICATOR)


@pytest.fixture
def legal(db):
    return UserFactory(username="legal", role=LEGAL)


@pytest.fixture
def team_lead(db):
    return UserFactory(username="lead", role=TEAM_LEAD)


@pytest.fixture
def observer(db):
    return UserFactory(username="observer", role=OBSERVER)


@pytest.fixture
def outsider(db):
    """Logged in, but holds no CrisisDesk role."""
    return UserFactory(username="outsider")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def personas(communicator, legal, team_lead, observer, outsider):
    return {
        "communicator": communicator,
        "legal": legal,
        "team_lead": team_lead,
        "observer": observer,
        "outsider": outsider,
    }


@pytest.fixture
def comms2(db):
    """A second communicator: an editor who is not the author, for four-eyes tests."""
    return UserFactory(username="comms2", role=COMMUNICATOR)


@pytest.fixture
def lead2(db):
    """A second team lead: approves what the first one wrote."""
    return UserFactory(username="lead2", role=TEAM_LEAD)


@pytest.fixture
def people(personas, comms2, lead2):
    """The five personas plus a second communicator and a second team lead."""
    return {**personas, "comms2": comms2, "lead2": lead2}


@pytest.fixture
def staff_people(personas, comms2, lead2):
    """The seven ``people`` with access to the admin site: what they may do there is still their role's."""
    users = {**personas, "comms2": comms2, "lead2": lead2}
    for user in users.values():
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return users


@pytest.fixture
def admin_as(client, staff_people):
    """``admin_as("legal")`` → a client logged in as that staff persona (or as a given user)."""

    def login(persona):
        client.force_login(staff_people[persona] if isinstance(persona, str) else persona)
        return client

    return login


@pytest.fixture
def incident(db):
    return IncidentFactory(reference="CD-2026-0001", title="Viral video of a cracked blender jar")


@pytest.fixture
def confidential_incident(db, team_lead):
    """A confidential incident whose only member is the team lead."""
    incident = IncidentFactory(
        reference="CD-2026-0002", title="Leaked memo about store closures", confidential=True, lead=team_lead
    )
    MembershipFactory(incident=incident, user=team_lead, role=role("lead"))
    return incident


@pytest.fixture
def client_for(client):
    """``client_for(user)`` → a test client logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


def pytest_collection_modifyitems(items):
    """Live-server tests flush the database afterwards; restore what migrations wrote.

    Every test that uses ``live_server`` (the browser tests) gets a transactional
    database with serialized rollback, whatever ``django_db`` marker its module
    sets: otherwise the groups and incident roles created by data migrations are
    gone for every later test, and pytest-django only serializes the test database
    when a collected test's closest marker asks for it.

    Any other transactional test (``django_db(transaction=True)``, ``transactional_db``) gets serialized
    rollback too: a plain flush would let ``post_migrate`` re-create the content types under new ids,
    and the next serialized test would then fail to restore the old ones (UNIQUE constraint).
    """
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        marker = item.get_closest_marker("django_db")
        transactional = "transactional_db" in fixtures or (marker is not None and marker.kwargs.get("transaction"))
        if "live_server" in fixtures or transactional:
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True), append=False)


def pytest_runtest_setup(item):
    """Tests marked ``postgres_only`` skip, with the reason, when the test database is not PostgreSQL.

    They need row locks, real concurrent connections or a database a worker process can share.
    The SQLite pass skips them on purpose; the PostgreSQL pass of `make test` runs them, and
    there a skip is a failure (below).
    """
    from django.db import connection

    if item.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        pytest.skip(
            f"needs PostgreSQL (row locks, concurrent connections, a database a worker can share); this run is on "
            f"{connection.vendor}; runs in the PostgreSQL pass of `make test` (scripts/with-postgres.sh)"
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In the PostgreSQL pass nothing may skip (CRISISDESK_FORBID_SKIPS=1, set by `make test`).

    The SQLite pass skips the PostgreSQL-only tests on purpose; the PostgreSQL pass must
    then run every one of them, so a skip there is a failure, not a silent gap.
    """
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CRISISDESK_FORBID_SKIPS") == "1" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in a pass that must run everything: {report.longrepr}"


def pytest_sessionstart(session):
    """The flush between transactional tests may purge the append-only tables (``crisisdesk.testing.purge``)."""
    from crisisdesk.testing.purge import permit_purge_on_flush

    permit_purge_on_flush()
