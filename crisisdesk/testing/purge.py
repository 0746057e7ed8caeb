"""Test teardown may purge append-only tables: pytest-django flushes the database after each transactional test.

``TransactionTestCase`` (``transactional_db``, ``live_server``, ``django_db(transaction=True)``) empties
every table after a test: TRUNCATE on PostgreSQL, DELETE on SQLite. The append-only triggers refuse
both (``crisisdesk.audit.purge``), so the flush runs inside ``purge_permitted`` (not audited: it must
leave the tables empty). ``TestCase`` rolls back instead and is untouched. Installed by the root
``conftest.py`` when the session starts.
"""

from contextlib import ExitStack

from crisisdesk.audit.purge import purge_permitted


def permit_purge_on_flush() -> None:
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown
    if getattr(original, "permits_purge", False):
        return

    def _fixture_teardown(self):
        with ExitStack() as stack:
            for alias in self._databases_names(include_mirrors=False):
                stack.enter_context(purge_permitted(reason="test teardown: flush", using=alias, audit=False))
            original(self)

    _fixture_teardown.permits_purge = True
    TransactionTestCase._fixture_teardown = _fixture_teardown
