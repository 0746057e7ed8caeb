"""Serializer pieces every API app shares."""

import re
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from crisisdesk.api.parsers import string_problem


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


# Bounds every input field gets unless it states its own (documented in docs/api.md, "Input limits").
MAX_STRING_LENGTH = 10_000
MAX_LIST_LENGTH = 1_000
MIN_INTEGER, MAX_INTEGER = -(2**31), 2**31 - 1
MAX_PRIMARY_KEY = 2**63 - 1
EARLIEST_DATETIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_DATETIME = datetime(2100, 1, 1, tzinfo=UTC)
_INTEGER_TEXT = re.compile(r"\s*[-+]?\d{1,20}\s*")


def _datetime_in_range(value):
    if not EARLIEST_DATETIME <= value < LATEST_DATETIME:
        raise serializers.ValidationError(_("Must lie between 1970 and 2100."), code="out_of_range")


def _date_in_range(value):
    if not EARLIEST_DATETIME.date() <= value < LATEST_DATETIME.date():
        raise serializers.ValidationError(_("Must lie between 1970 and 2100."), code="out_of_range")


def harden_field(field) -> None:
    """Give an input field the bounds it lacks: string length, integer range, dates in 1970–2100."""
    if field.read_only:
        return
    if isinstance(field, serializers.ListSerializer):
        if field.max_length is None:
            field.max_length = MAX_LIST_LENGTH
    elif isinstance(field, serializers.ListField):
        if field.max_length is None:
            field.max_length = MAX_LIST_LENGTH
            message = field.error_messages["max_length"].format(max_length=MAX_LIST_LENGTH)
            field.validators.append(MaxLengthValidator(MAX_LIST_LENGTH, message=message))
        harden_field(field.child)
    elif isinstance(field, serializers.ManyRelatedField):
        harden_field(field.child_relation)
    elif isinstance(field, serializers.CharField) and field.max_length is None:
        field.max_length = MAX_STRING_LENGTH
        message = field.error_messages["max_length"].format(max_length=MAX_STRING_LENGTH)
        field.validators.append(MaxLengthValidator(MAX_STRING_LENGTH, message=message))
    elif isinstance(field, serializers.IntegerField):
        # A 32-bit range on every database: SQLite would take 2**63 - 1 where PostgreSQL stops at 2**31 - 1.
        if field.max_value is None or field.max_value > MAX_INTEGER:
            field.max_value = MAX_INTEGER
            message = field.error_messages["max_value"].format(max_value=MAX_INTEGER)
            field.validators.append(MaxValueValidator(MAX_INTEGER, message=message))
        if field.min_value is None or field.min_value < MIN_INTEGER:
            field.min_value = MIN_INTEGER
            message = field.error_messages["min_value"].format(min_value=MIN_INTEGER)
            field.validators.append(MinValueValidator(MIN_INTEGER, message=message))
    elif isinstance(field, serializers.DateTimeField):
        field.validators.append(_datetime_in_range)
    elif isinstance(field, serializers.DateField):
        field.validators.append(_date_in_range)


def raw_value_errors(field, value):
    """What is wrong with the JSON value ``value`` for ``field`` before DRF coerces it, or ``None``.

    DRF stringifies numbers for string fields, truncates ``12.0`` to ``12`` and passes a float or a
    NUL-bearing string to the database for a related field: each is refused here, before any lookup.
    """
    if value is None or field.read_only or isinstance(field, (serializers.BaseSerializer, serializers.JSONField)):
        return None  # nested serializers check themselves (they are strict too)
    too_many = _("Ensure this field has no more than %(n)d elements.")
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return None
        if len(value) > (field.max_length or MAX_LIST_LENGTH):  # before a lookup per item
            return [too_many % {"n": field.max_length or MAX_LIST_LENGTH}]
        errors = {
            index: problem for index, item in enumerate(value) if (problem := raw_value_errors(field.child, item))
        }
        return errors or None
    if isinstance(field, serializers.ManyRelatedField):
        if not isinstance(value, list):
            return None
        if len(value) > MAX_LIST_LENGTH:
            return [too_many % {"n": MAX_LIST_LENGTH}]
        errors = [raw_value_errors(field.child_relation, item) for item in value]
        return next((problem for problem in errors if problem), None)
    if isinstance(field, (serializers.DictField, serializers.HStoreField)):
        return None
    if isinstance(value, str) and (problem := string_problem(value)):
        return [problem]
    if isinstance(field, serializers.BooleanField):
        return None
    if isinstance(field, serializers.IntegerField):
        whole = (
            (isinstance(value, int) and not isinstance(value, bool))
            or (isinstance(value, float) and value.is_integer())
            or (isinstance(value, str) and _INTEGER_TEXT.fullmatch(value))
        )
        return None if whole else [field.error_messages["invalid"]]
    if isinstance(field, (serializers.FloatField, serializers.DecimalField)):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return [field.error_messages["invalid"]]
        return None
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        if isinstance(value, int) and not isinstance(value, bool):
            return None if -MAX_PRIMARY_KEY <= value <= MAX_PRIMARY_KEY else [_("Invalid pk - object does not exist.")]
        if isinstance(value, str) and len(value) <= 40:
            return None
        return [_("Incorrect type. Expected pk value, received %(type)s.") % {"type": type(value).__name__}]
    if isinstance(field, serializers.MultipleChoiceField):
        if isinstance(value, (list, str)) and all(_choice_like(item) for item in value):
            return None
        return [_("Not a valid choice.")]
    if isinstance(field, serializers.ChoiceField):
        return None if _choice_like(value) else [_("Not a valid choice.")]
    if isinstance(field, _DATE_FIELDS) and isinstance(value, (date, time, timedelta)):
        return None  # a Python value given by code, not JSON
    if isinstance(field, _STRING_FIELDS) and not isinstance(value, str):
        # Strings, slugs, e-mails, URLs, dates, UUIDs, references (SlugRelatedField): only a JSON string.
        return [_("Not a valid string.")]
    if isinstance(field, serializers.RelatedField) and len(value) > 200:
        return [_("Object does not exist.")]
    return None


def _choice_like(value) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


_DATE_FIELDS = (serializers.DateTimeField, serializers.DateField, serializers.TimeField, serializers.DurationField)
_STRING_FIELDS = (serializers.CharField, serializers.RelatedField, serializers.UUIDField, *_DATE_FIELDS)


# Every input serializer: what is not a field here, or not of the field's JSON type, is refused (400).
#
# - a key that is not a writable field (``status``, ``id``, a typo) is refused, not silently ignored;
# - strings must be JSON strings without NUL or lone surrogates, integers whole numbers (not
#   ``true``, not ``12.7``), related fields a string or an integer — checked before any lookup;
# - fields without bounds get them (``harden_field``): 10,000 characters, 1,000 list items, a
#   32-bit integer range, dates between 1970 and 2100.
# (A comment, not a docstring: the OpenAPI schema would show it for every serializer without its own.)
class StrictInputMixin:
    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            harden_field(field)
        return fields

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            # Sending ``status`` or ``id`` means expecting them to change: refuse rather than ignore.
            writable = {name for name, field in self.fields.items() if not field.read_only}
            # The browsable API's HTML forms carry the CSRF token along with the fields.
            ignored = {"csrfmiddlewaretoken"} if isinstance(data, QueryDict) else set()
            refused = {name: [_("This field cannot be edited.")] for name in data if name not in writable | ignored}
            if refused:
                raise serializers.ValidationError(refused)
            errors = {}
            for name in writable:
                if name not in data:
                    continue
                field = self.fields[name]
                if isinstance(data, QueryDict):
                    value = (
                        data.getlist(name)
                        if isinstance(field, (serializers.ListField, serializers.ManyRelatedField))
                        else data.get(name)
                    )
                else:
                    value = data[name]
                if problem := raw_value_errors(field, value):
                    errors[name] = problem
            if errors:
                raise serializers.ValidationError(errors)
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

    # By hand, as ``user_brief`` (nested in every row of the hot lists); a test holds it equal to DRF's.
    def to_representation(self, user):
        return user_brief(user)

    def generic_representation(self, user):
        return super().to_representation(user)


def user_brief(user) -> dict:
    """``UserBriefSerializer``'s representation, without building its fields."""
    return {
        "id": None if user.pk is None else int(user.pk),
        "username": None if user.username is None else str(user.username),
        "name": user.get_full_name() or user.get_username(),
    }


_DATETIME = serializers.DateTimeField()


def datetime_representation(value, zone):
    """What DRF's ``DateTimeField`` answers with the ISO 8601 format (``fast_representation_allowed``)
    in the current time zone ``zone``: ``2026-12-03T17:53:32.123456Z``."""
    if not value:
        return None
    if isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None:
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return _DATETIME.to_representation(value)  # naive, or a string: DRF's rules


def fast_representation_allowed(context) -> bool:
    """Whether a hand-written ``to_representation`` may answer for DRF's fields: the defaults it
    writes out hold (ISO 8601 date-times, time zones on, no API versioning, no ``.json`` format
    suffix in the URLs) and there is a request to build absolute URLs from."""
    request = context.get("request")
    return (
        request is not None
        and not context.get("format")
        and getattr(request, "versioning_scheme", None) is None
        and str(api_settings.DATETIME_FORMAT).lower() == ISO_8601
        and settings.USE_TZ
    )


class EmptySerializer(StrictInputMixin, serializers.Serializer):
    """No body."""
