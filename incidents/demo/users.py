"""The demo logins, one per role: kept in Python because their "what they can do" is interface text.

It is printed by ``seed_demo`` in the operator's language, so it stays in the translation
catalogue (``gettext_lazy``), unlike the crisis texts of the YAML scenarios.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from crisisdesk.roles import COMMUNICATOR, LEGAL, OBSERVER, TEAM_LEAD


@dataclass(frozen=True)
class DemoUser:
    """One demo login: a memorable username, a realistic person and a global role (``None``: superuser)."""

    username: str
    first_name: str
    last_name: str
    role: str | None
    can_do: str

    @property
    def password(self) -> str:
        # Not trivial, easy to type, and printed by the command: this is a demo, not a secret.
        return f"crisis-{self.username}"

    @property
    def email(self) -> str:
        return f"{self.first_name}.{self.last_name}@example.org".lower()

    @property
    def role_label(self) -> str:
        return str(self.role or _("Superuser"))


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "comms",
        "Sophie",
        "Laurent",
        COMMUNICATOR,
        _(
            "Run incidents day to day: open them, move them along the workflow, notes and facts; draft statements "
            "and key messages and submit them to Legal, publish approved statements; triage mentions"
        ),
    ),
    DemoUser(
        "comms2", "Daniel", "Okafor", COMMUNICATOR, _("Same as comms: a second communicator for four-eyes reviews")
    ),
    DemoUser(
        "legal",
        "Priya",
        "Natarajan",
        LEGAL,
        _(
            "Approve, send back or reject statements, key messages and post-crisis reviews (the review queue); "
            "withdraw a published statement; write notes, add and verify facts"
        ),
    ),
    DemoUser(
        "lead",
        "Marc",
        "Dubois",
        TEAM_LEAD,
        _(
            "Everything a communicator can, plus severity, lead, crisis team and closing; as incident lead, also "
            "approves statements at severity 1; approves playbooks and post-crisis reviews; manages playbooks, "
            "roster, spike rules, webhooks and API keys"
        ),
    ),
    DemoUser("lead2", "Hannah", "Becker", TEAM_LEAD, _("Same as lead: a second team lead")),
    DemoUser(
        "observer",
        "Olivia",
        "Grant",
        OBSERVER,
        _(
            "Read-only: incidents, statements, playbooks and post-crisis reviews, of non-confidential incidents "
            "and those whose team they are on"
        ),
    ),
    DemoUser(
        "admin", "Alex", "Morgan", None, _("Superuser: the Django admin and every incident, confidential ones too")
    ),
)

DEMO_USERNAMES = tuple(u.username for u in DEMO_USERS)


def ensure_users() -> dict[str, object]:
    """Create or refresh the demo users so the printed logins always work; returns them by username.

    A password is only re-set when it no longer matches, because setting it
    rotates the hash and would log out browsers already signed in to the demo.
    """
    User = get_user_model()
    users = {}
    for spec in DEMO_USERS:
        user, _created = User.objects.get_or_create(username=spec.username)
        user.first_name, user.last_name, user.email = spec.first_name, spec.last_name, spec.email
        user.is_active = True
        user.is_staff = user.is_superuser = spec.role is None
        if not user.check_password(spec.password):
            user.set_password(spec.password)
        user.save()
        user.groups.set([Group.objects.get(name=spec.role)] if spec.role else [])
        users[spec.username] = user
    return users
