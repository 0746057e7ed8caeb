"""Reads of playbooks that other apps use: the catalogue an incident's checklist is activated from."""

from django.db.models import QuerySet

from playbooks.keymessages.selectors import incident_language
from playbooks.models import Playbook


class PlaybookCatalogue:
    """Registered with ``incidents.hooks`` in ``PlaybooksConfig.ready()``."""

    def activatable(self, user) -> QuerySet:
        return Playbook.objects.visible_to(user).filter(active_version__isnull=False).order_by("title")

    def suggested(self, user, *, incident, playbooks=None) -> Playbook | None:
        """The playbook to preselect for ``incident``, or None (then the user chooses deliberately).

        Only a playbook written for the incident's category (its scenario) is suggested; among several,
        the one in the incident's language, then the one whose active (approved) version is the most
        recent. A playbook for another scenario is never preselected. ``playbooks``: the activatable ones
        already fetched (the war room lists them anyway), so suggesting costs no query.
        """
        if playbooks is None:
            playbooks = self.activatable(user)
        candidates = [playbook for playbook in playbooks if playbook.scenario == incident.category]
        candidates.sort(key=lambda playbook: -(playbook.active_version_id or 0))
        if len({playbook.language for playbook in candidates}) > 1:  # the language costs a query: only when it decides
            language = incident_language(incident)
            candidates.sort(key=lambda playbook: playbook.language != language)  # stable: recency kept
        return candidates[0] if candidates else None
