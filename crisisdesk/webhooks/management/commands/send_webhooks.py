"""``manage.py send_webhooks``: send (or, with a broker, enqueue) every webhook delivery that is due.

Beat does this every ``WEBHOOK_SWEEP_SECONDS`` in production; the embedded demo has
no beat, so retries of failed deliveries wait for this command or a redeliver.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from crisisdesk.webhooks import services


class Command(BaseCommand):
    """Sweep due deliveries at once, without the grace period the beat sweep waits."""

    help = _("Send every webhook delivery that is due now.")

    def handle(self, *args, **options):
        count = services.sweep_due_deliveries(grace_seconds=0)
        self.stdout.write(_("%(count)s due deliveries sent or queued.") % {"count": count})
