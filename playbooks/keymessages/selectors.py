"""Reads of key messages that other apps use: the library statements start from (``incidents.hooks``)."""

from django.db.models import QuerySet

from playbooks.keymessages.models import KeyMessage


class KeyMessageLibrary:
    """What a statement may start from: registered with ``incidents.hooks`` in ``PlaybooksConfig.ready()``."""

    def visible(self, user) -> QuerySet:
        return KeyMessage.objects.visible_to(user)

    def usable(self, user) -> QuerySet:
        return KeyMessage.objects.visible_to(user).usable()
