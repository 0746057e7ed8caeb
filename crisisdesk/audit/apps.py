from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The system-wide, append-only audit trail of state changes (``AuditRecord``)."""

    name = "crisisdesk.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self):
        from . import signals  # noqa: F401 - records role changes (User.groups)
