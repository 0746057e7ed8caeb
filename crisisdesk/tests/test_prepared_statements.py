"""PostgreSQL prepares the statements a connection repeats (``DATABASE_PREPARED_STATEMENTS``, on by default).

psycopg prepares a statement the 5th time a connection runs it with server-side parameters; PostgreSQL
then runs it without planning it again. Behind a pooler that cannot keep prepared statements the
setting turns it off.
"""

import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from crisisdesk.testing.factories import IncidentFactory
from incidents.models import Incident


def options_for(**env) -> dict:
    code = "import json; from django.conf import settings; print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "crisisdesk.settings", "DJANGO_SECRET_KEY": "x" * 50}
    out = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_postgresql_binds_on_the_server_and_prepares_unless_turned_off():
    url = {"DATABASE_URL": "postgres://crisisdesk@db:5432/crisisdesk"}
    on = options_for(**url)
    assert (on["server_side_binding"], on["prepare_threshold"]) == (True, 5)
    off = options_for(**url, DATABASE_PREPARED_STATEMENTS="0")
    assert "server_side_binding" not in off and "prepare_threshold" not in off
    assert "server_side_binding" not in options_for()  # SQLite: nothing of the sort


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_a_repeated_statement_is_prepared_and_gives_the_same_rows():
    if not settings.DATABASES["default"]["OPTIONS"].get("server_side_binding"):
        pytest.fail("the test settings should keep DATABASE_PREPARED_STATEMENTS on")
    wanted = IncidentFactory(title="Prepared")
    IncidentFactory(title="Other")
    for _ in range(6):
        assert list(Incident.objects.filter(title=wanted.title).values_list("pk", flat=True)) == [wanted.pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "incidents_incident"' in sql and '"title" = $1' in sql for sql in prepared), prepared
