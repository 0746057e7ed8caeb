"""The FilterSet every list builds on: query parameters no database could compare are a field error.

The same FilterSet serves the browser list and the API's query parameters; its form fields are
Django's, which already refuse NUL in text. What they let through reaches the database and fails
there (a 500): a date-time that overflows when converted to UTC (``9999-12-31T23:59:59-23:00``)
and an integer no column holds (``?watch_term=99999999999999999999``, which SQLite cannot even
bind). ``StrictFilterSet`` bounds them: date-times and dates in 1970–2099, integers and object ids
within 64 bits.
"""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from crisisdesk.api.serializers import EARLIEST_DATETIME, LATEST_DATETIME
from crisisdesk.forms import ListedModelChoiceField

MAX_BIGINT = 2**63 - 1
_DIGITS = re.compile(r"\s*[-+]?\d+\s*")


def _datetime_in_range(value):
    if value is not None and not EARLIEST_DATETIME <= value < LATEST_DATETIME:
        raise ValidationError(_("Must lie between 1970 and 2100."), code="out_of_range")


def _date_in_range(value):
    if value is not None and not EARLIEST_DATETIME.date() <= value < LATEST_DATETIME.date():
        raise ValidationError(_("Must lie between 1970 and 2100."), code="out_of_range")


def _fits(value) -> bool:
    values = value if isinstance(value, (list, tuple)) else [value]
    return all(
        not (isinstance(item, str) and _DIGITS.fullmatch(item)) or abs(int(item)) <= MAX_BIGINT for item in values
    )


def _guard_choices(field) -> None:
    """A model choice given as an integer too large for any id is not a choice (checked before the lookup)."""
    clean = field.clean

    def guarded_clean(value):
        if not _fits(value):
            raise ValidationError(
                field.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return clean(value)

    field.clean = guarded_clean


def harden_form_field(field) -> None:
    if isinstance(field, forms.MultiValueField):
        for subfield in field.fields:
            harden_form_field(subfield)
    elif isinstance(field, forms.DateTimeField):
        field.validators.append(_datetime_in_range)
    elif isinstance(field, forms.DateField):
        field.validators.append(_date_in_range)
    elif isinstance(field, (forms.ModelChoiceField, forms.ModelMultipleChoiceField)):
        _guard_choices(field)
    elif isinstance(field, (forms.IntegerField, forms.DecimalField, forms.FloatField)):
        field.validators += [MaxValueValidator(MAX_BIGINT), MinValueValidator(-MAX_BIGINT)]


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    """A model choice filter whose select is read in one query (``crisisdesk.forms.ListedModelChoiceField``)."""

    field_class = ListedModelChoiceField


class StrictFilterSet(django_filters.FilterSet):
    """A FilterSet whose form refuses values the database cannot compare (see the module docstring)."""

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for field in form.fields.values():
                harden_form_field(field)
        return self._form
