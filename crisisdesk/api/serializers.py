"""Serializer pieces every API app shares."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class StrictInputMixin:
    """PATCH bodies: a field that cannot be written here is refused (400), not silently ignored."""

    def to_internal_value(self, data):
        # Sending ``status`` or ``id`` means expecting them to change: refuse rather than ignore.
        if hasattr(data, "keys"):
            refused = {name: [_("This field cannot be edited.")] for name in data if name not in self.fields}
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)
