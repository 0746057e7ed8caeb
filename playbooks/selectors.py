"""Reads of playbooks that other apps use: the catalogue an incident's checklist is activated from."""

from django.db.models import QuerySet

from playbooks.models import Playbook


class PlaybookCatalogue:
    """Registered with ``incidents.hooks`` in ``PlaybooksConfig.ready()``."""

    def activatable(self, user) -> QuerySet:
        return Playbook.objects.visible_to(user).filter(active_version__isnull=False).order_by("title")
