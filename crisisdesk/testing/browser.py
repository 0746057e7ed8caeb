"""pytest plugin: Playwright driving Debian's headless Chromium against pytest-django's ``live_server``.

Load it with ``-p crisisdesk.testing.browser`` (pyproject ``addopts``) or ``pytest_plugins`` in the root
conftest. Fixtures:

* ``browser`` (session): one Chromium process for the whole run; never downloads a browser.
* ``page``: a fresh browser context (own cookies) on the live server, with ``base_url`` set so tests
  write ``page.goto("/incidents/")``. It requests a transactional database with serialized rollback,
  so the groups and incident roles created by data migrations exist in every browser test even after
  an earlier transactional test flushed the tables.
* ``login_as(page, user, password)``: signs in through the real login form.
"""

import os
from collections.abc import Iterator

import pytest

CHROMIUM = os.environ.get("CRISISDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests run as root in CI containers, where the sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _share_serialized_snapshot() -> None:
    """Make the test database snapshot reachable from every connection wrapper.

    Django keeps one connection wrapper per context, and Playwright's greenlets run
    later tests in another context, whose fresh wrapper lacks the snapshot taken at
    database setup: serialized rollback then silently restores nothing, and every
    test after the first browser test loses the groups created by migrations.
    """
    from django.db import connections

    for alias in connections:
        connection = connections[alias]
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents is not None:
            type(connection)._test_serialized_contents = contents


@pytest.fixture(scope="session")
def browser(django_db_setup) -> Iterator:
    from playwright.sync_api import sync_playwright

    _share_serialized_snapshot()

    # Playwright's sync API runs an asyncio loop in this thread; Django then refuses ORM calls
    # ("You cannot call this from an async context") unless told the code is really synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server, django_db_serialized_rollback) -> Iterator:
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def login_as():
    """``login_as(page, user, password)`` signs in through the login page and waits for the dashboard."""

    def login(page, user, password):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.get_username())
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")
        return page

    return login
