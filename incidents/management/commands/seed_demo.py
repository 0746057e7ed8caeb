"""``manage.py seed_demo``: demo users, incidents, key messages and statements for ``make demo``; safe to run again."""

import json
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Prefetch
from django.test.utils import override_settings
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from crisisdesk.review import selectors
from crisisdesk.review.models import ReviewStatus
from incidents import demo_data
from incidents.models import Membership
from incidents.statements.models import Statement
from playbooks import demo_data as playbook_demo
from playbooks.models import KeyMessage
from postmortems import demo_data as postmortem_demo


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
        base_url = base_url.rstrip("/")
        # One transaction: a failed --reset run leaves the previous demo in place rather than an empty desk.
        # The review engine e-mails reviewers and authors after commit: about reviews "done" days ago by
        # people who do not exist, nobody needs those, so they are dropped instead of flooding the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
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
                reviews = postmortem_demo.seed_reviews(users=users)
                self.stdout.write(
                    self.style.SUCCESS(_("Filled in %(count)d post-crisis reviews.") % {"count": len(reviews)})
                )
            # Idempotent on its own (looks things up by name), so it also fills in a desk seeded before issue 4.
            playbook_counts = playbook_demo.seed_playbooks(users=users)
            self.stdout.write(
                self.style.SUCCESS(
                    _("Roster: %(people)d people; %(playbooks)d playbooks; %(open_tasks)d open playbook tasks.")
                    % playbook_counts
                )
            )
            # Idempotent too: mentions are keyed on (platform, external id), so a second run updates them.
            mentions = demo_data.seed_mentions(users=users)
            self.stdout.write(
                self.style.SUCCESS(
                    _("Social listening: %(count)d demo mentions, with a negative burst in the last hour.")
                    % {"count": mentions}
                )
            )
        raw_key = demo_data.fresh_integration_key()
        self._print_logins(base_url)
        self._print_incidents()
        self._print_statements(base_url)
        self._print_api(base_url, raw_key)

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

    def _print_statements(self, base_url: str) -> None:
        statements = Counter(
            Statement.objects.filter(incident__in=demo_data.demo_incidents()).values_list("status", flat=True)
        )
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(_("Statements and key messages:")))
        self.stdout.write(
            "  "
            + ", ".join(
                f"{ReviewStatus(status).label.lower()}: {statements[status]}"
                for status in ReviewStatus.values
                if statements[status]
            )
        )
        key_messages = demo_data.demo_key_messages()
        self.stdout.write(
            _("  %(count)d key messages, %(usable)d usable now (one expired, one waiting for review)")
            % {"count": key_messages.count(), "usable": KeyMessage.objects.usable().filter(pk__in=key_messages).count()}
        )
        legal = get_user_model().objects.filter(username="legal").first()
        if legal is not None:
            waiting = selectors.waiting_for(legal)
            self.stdout.write(
                _(
                    "  Legal's review queue: %(count)d items waiting (log in as legal, or: manage.py review_queue --as legal)"
                )
                % {"count": len(waiting)}
            )
        public = Statement.objects.public().count()
        self.stdout.write(
            _("  Public newsroom (no login): %(url)s/newsroom/ — %(count)d statements, withdrawn ones included")
            % {"url": base_url, "count": public}
        )

    def _print_api(self, base_url: str, raw_key: str) -> None:
        comms = next(u for u in demo_data.DEMO_USERS if u.username == "comms")
        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING(_("REST API: get a token (POST /api/v1/auth/token/), then use it:"))
        )
        self.stdout.write(
            f"  curl -s -X POST -d username={comms.username} -d password={comms.password} {base_url}/api/v1/auth/token/"
        )
        self.stdout.write(f'  curl -s -H "Authorization: Token <token>" {base_url}/api/v1/incidents/')
        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                _("Integration API key of the demo monitoring tool (scopes ingest, read, write; acts as lead):")
            )
        )
        self.stdout.write(f"  {raw_key}")
        self.stdout.write(
            _("  (a new one each run; the previous one is revoked; manage keys at %(url)s/api-keys/)")
            % {"url": base_url}
        )
        body = json.dumps(
            {
                "mentions": [
                    {
                        "platform": "x",
                        "external_id": "1",
                        "text": "Acme jar cracked",
                        "posted_at": "2026-11-20T14:00:00Z",
                    }
                ]
            }
        )
        self.stdout.write(
            f'  curl -s -H "Authorization: Api-Key {raw_key}" -H "Content-Type: application/json" '
            f"{base_url}/api/v1/mentions/bulk/ -d '{body}'"
        )
        self.stdout.write(
            _("API docs: %(docs)s   Django admin: %(admin)s (admin / crisis-admin)")
            % {"docs": f"{base_url}/api/v1/docs/", "admin": f"{base_url}/admin/"}
        )
