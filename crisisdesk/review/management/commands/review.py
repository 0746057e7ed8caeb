"""``manage.py review <action> <type> <id> --as <username>``: the review workflow from a terminal.

The same service functions as the browser, the admin and the API: four eyes, the
approval bound to the revision read, the required roles and the audit trail apply
unchanged. A refusal is printed with its reason and the command exits non-zero
(3 refused, 4 not possible now, 5 invalid input, 6 not found).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review import services as review
from crisisdesk.review.models import ReviewStatus, Revision
from crisisdesk.review.policy import policy_for

from ._common import EXIT_INVALID, EXIT_NOT_FOUND, get_actor, get_item, item_types, refusal

ACTIONS = ("show", "submit", "approve", "request-changes", "reject", "publish", "withdraw")


class Command(BaseCommand):
    """Submit, approve, request changes, reject, publish or withdraw an item as a given user (or show it)."""

    help = (
        "Act on a statement or key message as USERNAME through the review engine: "
        "show | submit | approve | request-changes | reject | publish | withdraw. "
        "Exit codes: 3 refused (role, four eyes), 4 not possible now (state, missing approval, "
        "stale revision), 5 invalid input, 6 not found."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("type", help=f"Item type: {', '.join(sorted(item_types()))}.")
        parser.add_argument("id", type=int, help="The item's id.")
        parser.add_argument("--as", dest="username", required=True, help="Act as this user.")
        parser.add_argument(
            "--comment",
            "--reason",
            dest="comment",
            default="",
            help="Comment for the audit trail; required to request changes or reject, and the reason of a withdrawal.",
        )
        parser.add_argument(
            "--revision",
            type=int,
            help="Number of the revision you read. Required to approve; with other actions, refuses if it changed.",
        )
        parser.add_argument("--role", help="Approve under this requirement (e.g. legal, incident_lead).")

    def handle(self, *args, action, type, id, username, comment, revision, role, **options):
        actor = get_actor(username)
        item = get_item(type, id, actor)
        if action == "show":
            self._show(item, actor)
            return
        read = self._revision(item, revision)
        if action == "approve" and read is None:
            current = item.current_revision
            raise CommandError(
                _(
                    "Say which revision you reviewed: --revision %(number)s is the current one. "
                    "Read it first with `manage.py review show %(type)s %(id)s --as %(username)s`."
                )
                % {
                    "number": current.number if current else "?",
                    "type": item._meta.model_name,
                    "id": item.pk,
                    "username": username,
                },
                returncode=EXIT_INVALID,
            )
        before = item.status
        try:
            self._run(action, actor=actor, item=item, comment=comment, revision=read, role=role)
        except (PermissionDenied, InvalidTransition, ValidationError) as error:
            raise refusal(error) from error
        item.refresh_from_db()
        self.stdout.write(
            self.style.SUCCESS(
                _("%(item)s: %(action)s done (%(from)s → %(to)s).")
                % {
                    "item": policy_for(item).describe(item),
                    "action": action,
                    "from": ReviewStatus(before).label,
                    "to": ReviewStatus(item.status).label,
                }
            )
        )
        if action == "approve" and item.status == ReviewStatus.IN_REVIEW:
            missing = review.missing_requirements(item)
            self.stdout.write(
                _("Still waiting for: %(missing)s.") % {"missing": ", ".join(str(r.label) for r in missing)}
            )

    @staticmethod
    def _run(action: str, *, actor, item, comment: str, revision, role):
        if action == "submit":
            return review.review_submit(actor=actor, item=item, comment=comment)
        if action == "approve":
            return review.review_approve(actor=actor, item=item, revision=revision, comment=comment, role=role)
        if action == "request-changes":
            return review.review_request_changes(actor=actor, item=item, comment=comment, revision=revision)
        if action == "reject":
            return review.review_reject(actor=actor, item=item, comment=comment, revision=revision)
        if action == "publish":
            return review.review_publish(actor=actor, item=item, revision=revision, comment=comment)
        if action == "withdraw":
            return review.review_withdraw(actor=actor, item=item, reason=comment)
        raise CommandError(_("Unknown action: %s") % action)

    @staticmethod
    def _revision(item, number: int | None):
        """The revision the user says they read, by number; it must be one of this item's."""
        if number is None:
            return None
        revision = item.revisions().filter(number=number).first()
        if revision is None:
            raise CommandError(
                _("%(item)s has no revision %(number)s.") % {"item": item, "number": number},
                returncode=EXIT_NOT_FOUND,
            )
        # A stale one is passed on: the engine refuses it (409) like it does for the browser.
        return revision

    def _show(self, item, actor) -> None:
        """What a reviewer reads before deciding: state, the current revision's text and hash, the possible actions."""
        revision: Revision | None = item.current_revision
        write = self.stdout.write
        write(self.style.MIGRATE_HEADING(policy_for(item).describe(item)))
        write(_("Status: %(status)s") % {"status": ReviewStatus(item.status).label})
        if revision is not None:
            write(
                _("Current revision: %(number)s (hash %(hash)s) by %(editor)s")
                % {"number": revision.number, "hash": revision.content_hash[:12], "editor": revision.created_by}
            )
            for field, value in revision.content.items():
                write(f"  {field}: {value}")
        missing = review.missing_requirements(item)
        if missing and item.status in (ReviewStatus.DRAFT, ReviewStatus.IN_REVIEW):
            write(_("Approvals still needed: %(missing)s") % {"missing": ", ".join(str(r.label) for r in missing)})
        actions = review.available_actions(user=actor, item=item)
        write(
            _("You (%(username)s) may: %(actions)s")
            % {"username": actor.get_username(), "actions": ", ".join(str(a).replace("_", "-") for a in actions) or "—"}
        )
