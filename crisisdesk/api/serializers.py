"""Serializer pieces every API app shares."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def enum_field(name: str, choices, *, component: str, doc: str) -> type[serializers.ChoiceField]:
    """A ``ChoiceField`` class with fixed ``choices``, named ``component`` in the OpenAPI schema.

    Several models have a "status" or a "kind" with different choices: naming each enum once
    keeps the schema free of generated names like ``StatusAcdEnum``. The class ignores a
    ``choices`` argument, so a ModelSerializer may build it from a model field.
    """

    def __init__(self, **kwargs):
        kwargs.pop("choices", None)
        serializers.ChoiceField.__init__(self, choices=choices, **kwargs)

    field_class = type(name, (serializers.ChoiceField,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})
    return extend_schema_field(serializers.ChoiceField(choices=choices), component_name=component)(field_class)


class StrictInputMixin:
    """PATCH bodies: a field that cannot be written here is refused (400), not silently ignored."""

    def to_internal_value(self, data):
        # Sending ``status`` or ``id`` means expecting them to change: refuse rather than ignore.
        if hasattr(data, "keys"):
            refused = {name: [_("This field cannot be edited.")] for name in data if name not in self.fields}
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)


User = get_user_model()


class UserBriefSerializer(serializers.ModelSerializer):
    """Who someone is, in a line: enough to show a name next to an action."""

    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name"]
        read_only_fields = fields

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class EmptySerializer(serializers.Serializer):
    """No body."""
