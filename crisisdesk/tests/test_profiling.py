"""crisisdesk.profiling: the per-layer timer behind ``manage.py profile_pages`` (docs/performance.md)."""

import pytest
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

from crisisdesk import profiling

pytestmark = pytest.mark.django_db


def test_every_middleware_the_view_and_sql_get_their_own_time(communicator, incident):
    profiling.install()
    middleware = profiling.instrumented_middleware(list(settings.MIDDLEWARE))
    assert middleware[0] == "crisisdesk.profiling.Checkpoint0" and middleware[1] == settings.MIDDLEWARE[0]
    assert len(middleware) == 2 * len(settings.MIDDLEWARE) + 1
    with override_settings(MIDDLEWARE=middleware):
        client = Client()
        client.force_login(communicator)
        client.get(incident.get_absolute_url())
        with profiling.timing() as layers:
            assert client.get(incident.get_absolute_url()).status_code == 200
            layers.requests += 1
    ms = layers.per_request_ms()
    assert ms[profiling.SQL] > 0 and ms["template rendering"] > 0 and ms[profiling.VIEW] > 0
    assert ms["middleware SessionMiddleware"] > 0 and ms["authentication (session → user)"] > 0
    assert not layers.stack  # every layer entered was left
    # Outside ``timing()`` nothing is recorded.
    assert profiling.ACTIVE is None


@pytest.mark.django_db
def test_profile_pages_cpu_table_counts_calls_and_sql():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "profile_pages", "--seed", "--cpu", "--requests", "5", "--warmup", "1", "--only", "incident list", stdout=out
    )
    rows = [line for line in out.getvalue().splitlines() if line.startswith("| incident list |")]
    assert len(rows) == 1
    cpu, _minimum, wall, calls, sql = (cell.strip() for cell in rows[0].strip("|").split("|")[1:])
    assert float(cpu) > 0 and float(wall) > 0
    assert int(calls.replace(",", "")) > 1000
    assert int(sql) > 0
