"""The sections incidents adds to what ``seed_demo`` prints: logins, incidents, statements, the REST API."""

from __future__ import annotations

import json
from collections import Counter

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from crisisdesk.demo import DemoContext
from crisisdesk.review import selectors
from crisisdesk.review.models import ReviewStatus
from incidents.demo.seed import DEMO_INCIDENTS, demo_incidents, fresh_integration_key
from incidents.demo.users import DEMO_USERS
from incidents.models import Membership
from incidents.statements.models import Statement


def logins(context: DemoContext) -> None:
    context.write("")
    context.heading(_("Open %(url)s/ and log in with one of these accounts:") % {"url": context.base_url})
    rows = [[_("Username"), _("Password"), _("Role"), _("Name"), _("What they can do")]]
    rows += [[u.username, u.password, u.role_label, f"{u.first_name} {u.last_name}", str(u.can_do)] for u in DEMO_USERS]
    context.table(rows)


def incidents(context: DemoContext) -> None:
    seeded = demo_incidents().prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("user"))
    )
    french = {spec.title for spec in DEMO_INCIDENTS if spec.language == "fr"}
    context.write("")
    context.heading(_("Demo incidents (newest first):"))
    rows = [[_("Reference"), _("Status"), _("Severity"), _("Notes"), _("Title")]]
    for incident in seeded:
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
    context.table(rows)
    context.write(
        _("Confidential incidents are visible only to their crisis team and superusers: observer cannot see them.")
    )


def statements(context: DemoContext) -> None:
    counts = Counter(Statement.objects.filter(incident__in=demo_incidents()).values_list("status", flat=True))
    context.write("")
    context.heading(_("Statements and key messages:"))
    context.write(
        "  "
        + ", ".join(
            f"{ReviewStatus(status).label.lower()}: {counts[status]}"
            for status in ReviewStatus.values
            if counts[status]
        )
    )


def queue_and_newsroom(context: DemoContext) -> None:
    legal = get_user_model().objects.filter(username="legal").first()
    if legal is not None:
        waiting = selectors.waiting_for(legal)
        context.write(
            _(
                "  Legal's review queue: %(count)d items waiting (log in as legal, or: manage.py review_queue --as legal)"
            )
            % {"count": len(waiting)}
        )
    public = Statement.objects.public().count()
    context.write(
        _("  Public newsroom (no login): %(url)s/newsroom/ — %(count)d statements, withdrawn ones included")
        % {"url": context.base_url, "count": public}
    )


def api(context: DemoContext) -> None:
    """How to reach the REST API, with a fresh integration key (made here, after the seeding transaction)."""
    raw_key = fresh_integration_key()
    base_url = context.base_url
    comms = next(u for u in DEMO_USERS if u.username == "comms")
    context.write("")
    context.heading(_("REST API: get a token (POST /api/v1/auth/token/), then use it:"))
    context.write(
        f"  curl -s -X POST -d username={comms.username} -d password={comms.password} {base_url}/api/v1/auth/token/"
    )
    context.write(f'  curl -s -H "Authorization: Token <token>" {base_url}/api/v1/incidents/')
    context.write("")
    context.heading(_("Integration API key of the demo monitoring tool (scopes ingest, read, write; acts as lead):"))
    context.write(f"  {raw_key}")
    context.write(
        _("  (a new one each run; the previous one is revoked; manage keys at %(url)s/api-keys/)") % {"url": base_url}
    )
    body = json.dumps(
        {
            "mentions": [
                {"platform": "x", "external_id": "1", "text": "Acme jar cracked", "posted_at": "2026-11-20T14:00:00Z"}
            ]
        }
    )
    context.write(
        f'  curl -s -H "Authorization: Api-Key {raw_key}" -H "Content-Type: application/json" '
        f"{base_url}/api/v1/mentions/bulk/ -d '{body}'"
    )
    context.write(
        _("API docs: %(docs)s   Django admin: %(admin)s (admin / crisis-admin)")
        % {"docs": f"{base_url}/api/v1/docs/", "admin": f"{base_url}/admin/"}
    )
