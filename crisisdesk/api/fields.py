"""Input related fields that see only what the requesting user may see.

An object the user may not see must answer exactly like one that does not exist:
same status code, same message (the value echoed the same way). A field that
looked the object up in the whole table and then checked visibility with a
message of its own told the two apart ("Invalid pk - object does not exist."
for a hidden review, ``Invalid pk "987654" - object does not exist.`` for a
missing one). These fields look up in ``visible_queryset(user)`` only, so a
hidden object simply is not found and DRF's one ``does_not_exist`` message
answers for both.

Every writable related field of an API input serializer is one of these, or
names a model that has no ``visible_to`` (users, roles, departments): a test
(``crisisdesk/tests/test_uniform_not_found.py``) walks the router to hold it.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers


class VisibleRelatedFieldMixin:
    """Looks the value up among the objects ``visible_queryset(user)`` returns.

    By default that is ``queryset.visible_to(user)``; override ``visible_queryset``
    for a model whose visibility derives from a parent (facts of visible incidents).
    """

    def visible_queryset(self, user):
        queryset = self.queryset
        if not hasattr(queryset, "visible_to"):
            raise ImproperlyConfigured(
                f"{type(self).__name__} needs a queryset with visible_to(user), or a visible_queryset() override."
            )
        return queryset.visible_to(user)

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return self.visible_queryset(user).all()

    def to_internal_value(self, data):
        # PostgreSQL refuses NUL in text: such a value names no object, like any other unknown one.
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", pk_value=data, slug_name=getattr(self, "slug_field", "pk"), value=data)
        return super().to_internal_value(data)


class VisiblePrimaryKeyRelatedField(VisibleRelatedFieldMixin, serializers.PrimaryKeyRelatedField):
    """An object by id, among those the requesting user may see; a hidden id answers like a missing one."""


class VisibleSlugRelatedField(VisibleRelatedFieldMixin, serializers.SlugRelatedField):
    """An object by a unique slug (e.g. a reference), among those the requesting user may see."""
