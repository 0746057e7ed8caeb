"""How the review engine's pages (review page, audit trail, queue links, workflow buttons) show key messages.

Registered in ``PlaybooksConfig.ready()``: the engine (``crisisdesk.review``) imports no app.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisisdesk.review.registry import ReviewableKind
from playbooks.keymessages.models import KeyMessage


@dataclass(frozen=True)
class KeyMessageKind(ReviewableKind):
    """Key messages have their own pages; statements started from one are compared with its approved text."""

    slug: str = "keymessage"
    label: str = gettext_lazy("Key message")
    model: type = KeyMessage

    def url(self, item) -> str:
        return reverse("keymessages:detail", kwargs={"pk": item.pk})

    def transition_url(self, item) -> str:
        return reverse("keymessages:transition", kwargs={"pk": item.pk})

    def base_label(self, item, revision) -> str:
        return _("the approved key message “%(title)s” (r%(number)s)") % {
            "title": item.title,
            "number": revision.number,
        }
