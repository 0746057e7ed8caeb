"""``manage.py seed_demo``: demo users and incidents for ``make demo``; safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Prefetch
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from incidents import demo_data
from incidents.models import Membership


class Command(BaseCommand):
    """Create one login per role and a dozen realistic crises, then print how to log in."""

    help = "Create demo users (one per role) and realistic incidents, then print the logins. Idempotent."

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
        base_url = base_url.rstrip("/")
        # One transaction: a failed --reset run leaves the previous demo in place rather than an empty desk.
        with transaction.atomic():
            users = demo_data.ensure_users()
            if reset:
                deleted = demo_data.reset()
                self.stdout.write(_("Deleted %(count)d demo incidents.") % {"count": deleted})
            if demo_data.is_seeded():
                self.stdout.write(
                    self.style.WARNING(_("Demo data is already there: nothing added (use --reset to rebuild it)."))
                )
            else:
                created = demo_data.seed_incidents(users=users)
                self.stdout.write(self.style.SUCCESS(_("Created %(count)d demo incidents.") % {"count": len(created)}))
        self._print_logins(base_url)
        self._print_incidents()
        self._print_api(base_url)

    def _table(self, rows: list[list[str]]) -> None:
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for n, row in enumerate(rows):
            line = (
                "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1]
            )
            self.stdout.write(self.style.MIGRATE_LABEL(line) if n == 0 else line)

    def _print_logins(self, base_url: str) -> None:
        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING(_("Open %(url)s/ and log in with one of these accounts:") % {"url": base_url})
        )
        rows = [[_("Username"), _("Password"), _("Role"), _("Name"), _("What they can do")]]
        rows += [
            [u.username, u.password, u.role_label, f"{u.first_name} {u.last_name}", str(u.can_do)]
            for u in demo_data.DEMO_USERS
        ]
        self._table(rows)

    def _print_incidents(self) -> None:
        incidents = demo_data.demo_incidents().prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("user"))
        )
        french = {spec.title for spec in demo_data.DEMO_INCIDENTS if spec.language == "fr"}
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(_("Demo incidents (newest first):")))
        rows = [[_("Reference"), _("Status"), _("Severity"), _("Notes"), _("Title")]]
        for incident in incidents:
            notes = []
            if incident.title in french:
                notes.append(_("in French"))
            if incident.is_exercise:
                notes.append(_("exercise"))
            if incident.confidential:
                team = sorted({m.user.username for m in incident.memberships.all()})
                notes.append(_("confidential, team: %(team)s") % {"team": ", ".join(team)})
            rows.append(
                [
                    incident.reference,
                    incident.get_status_display(),
                    incident.get_severity_display(),
                    "; ".join(notes),
                    Truncator(incident.title).chars(70),
                ]
            )
        self._table(rows)
        self.stdout.write(
            _("Confidential incidents are visible only to their crisis team and superusers: observer cannot see them.")
        )

    def _print_api(self, base_url: str) -> None:
        comms = next(u for u in demo_data.DEMO_USERS if u.username == "comms")
        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING(_("REST API: get a token (POST /api/v1/auth/token/), then use it:"))
        )
        self.stdout.write(
            f"  curl -s -X POST -d username={comms.username} -d password={comms.password} {base_url}/api/v1/auth/token/"
        )
        self.stdout.write(f'  curl -s -H "Authorization: Token <token>" {base_url}/api/v1/incidents/')
        self.stdout.write(
            _("API docs: %(docs)s   Django admin: %(admin)s (admin / crisis-admin)")
            % {"docs": f"{base_url}/api/v1/docs/", "admin": f"{base_url}/admin/"}
        )
