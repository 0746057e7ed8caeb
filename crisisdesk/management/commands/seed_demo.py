"""``manage.py seed_demo``: demo users, incidents, key messages and statements for ``make demo``; safe to run again.

The command knows no app: it runs the steps and prints the summary sections that the apps
registered in ``crisisdesk.demo`` (see there).
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from crisisdesk import demo


class Command(BaseCommand):
    """Create one login per role, a dozen realistic crises with their statements and key messages, then print how to log in."""

    help = (
        "Create demo users (one per role), realistic incidents, key messages and statements in every review state, "
        "then print the logins. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo incidents (those opened by demo users) and seed them again.",
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the demo is served, for the printed links (default: %(default)s).",
        )

    def handle(self, *args, reset: bool = False, base_url: str = "", **options):
        context = demo.DemoContext(base_url=base_url.rstrip("/"), stdout=self.stdout, style=self.style)
        # One transaction: a failed --reset run leaves the previous demo in place rather than an empty desk.
        # The review engine e-mails reviewers and authors after commit: about reviews "done" days ago by
        # people who do not exist, nobody needs those, so they are dropped instead of flooding the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
            demo.seed(context, reset=reset)
        demo.summarise(context)
