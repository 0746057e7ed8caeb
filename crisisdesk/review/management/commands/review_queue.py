"""``manage.py review_queue --as <username>``: what waits for that user's review, oldest first.

Reads ``crisisdesk.review.selectors.waiting_for``, the selector behind the browser
queue and the API, so the three always agree.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from crisisdesk.review import selectors
from crisisdesk.templatetags.clocks import duration

from ._common import get_actor


class Command(BaseCommand):
    """List the items waiting for a user's decision, with their age and the approval they need."""

    help = "List what waits for USERNAME's review, oldest first, with how long it has waited."

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="username", required=True, help="Whose queue to list.")

    def handle(self, *args, username, **options):
        user = get_actor(username)
        entries = selectors.waiting_for(user)
        if not entries:
            self.stdout.write(_("Nothing waits for review by %(username)s.") % {"username": username})
            return
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                _("%(count)d item(s) wait for %(username)s's review, oldest first:")
                % {"count": len(entries), "username": username}
            )
        )
        rows = [[_("Type"), _("Id"), _("Waiting"), _("Submitted"), _("Approve as"), _("Incident"), _("Title")]]
        for entry in entries:
            incident = getattr(entry.item, "incident", None)
            rows.append(
                [
                    entry.kind,
                    str(entry.item.pk),
                    duration(entry.waiting_for),
                    timezone.localtime(entry.submitted_at).strftime("%Y-%m-%d %H:%M"),
                    ", ".join(str(r.label) for r in entry.requirements),
                    incident.reference if incident is not None else "—",
                    Truncator(entry.item.title).chars(60),
                ]
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for n, row in enumerate(rows):
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1]
            self.stdout.write(self.style.MIGRATE_LABEL(line) if n == 0 else line)
        self.stdout.write(
            _("Read one with: manage.py review show <type> <id> --as %(username)s") % {"username": username}
        )
