"""How the review engine's pages (review page, audit trail, queue links, workflow buttons) show playbook versions.

Registered in ``PlaybooksConfig.ready()``: the engine (``crisisdesk.review``) imports no app. A version
names its own pages (``get_absolute_url``, ``get_transition_url``): the defaults of ``ReviewableKind``.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from crisisdesk.review.registry import ReviewableKind
from playbooks.models import Playbook, PlaybookVersion


@dataclass(frozen=True)
class PlaybookVersionKind(ReviewableKind):
    slug: str = "playbookversion"
    label: str = gettext_lazy("Playbook version")
    model: type = PlaybookVersion
    related: tuple[str, ...] = ("playbook", "current_revision", "created_by")
    depends_on: tuple[type, ...] = (Playbook,)  # its owner approves it
