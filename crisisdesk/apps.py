from django.apps import AppConfig


class CrisisDeskConfig(AppConfig):
    """The shared kernel: settings, middleware, the engines every app builds on (no models of its own but the cache table)."""

    name = "crisisdesk"
    verbose_name = "CrisisDesk"

    def ready(self):
        # The sign-in stamp's receiver (user_logged_in) lives with the middleware that reads it; connect it
        # at start-up, not at the first request, so a sign-in before any request (a test's force_login,
        # a management command) is stamped too and the next request does not write the session.
        from crisisdesk import middleware  # noqa: F401
