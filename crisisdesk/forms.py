"""Form helpers every app's browser views share."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator


def apply_service_error(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: per field where the form has it, else on the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def style_filter_form(form: forms.Form) -> forms.Form:
    """Make the FilterSet's form pleasant in the browser: date pickers and compact multi-selects."""
    for name in ("detected_after", "detected_before"):
        if name in form.fields:
            form.fields[name].widget.input_type = "date"
    for name in ("status", "severity", "category"):
        if name in form.fields:
            form.fields[name].widget.attrs.setdefault("size", 4)
    return form


class ListedChoiceIterator(ModelChoiceIterator):
    """A select's options read in one plain query.

    Django's iterator reads a select's rows through ``QuerySet.iterator()``, which on PostgreSQL is a
    server-side cursor: DECLARE, two FETCHes and CLOSE (four round trips) for a dozen options. A
    select is rendered whole anyway. A field's ``choice_limit`` (``ListedModelChoiceField``) keeps
    the first rows of the queryset's order only.
    """

    def _rows(self) -> list:
        limit = getattr(self.field, "choice_limit", None)
        return list(self.queryset if limit is None else self.queryset[:limit])

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self._rows():
            yield self.choice(obj)

    def __len__(self):
        return len(self._rows()) + (self.field.empty_label is not None)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self._rows())


class ListedModelChoiceField(forms.ModelChoiceField):
    """A model select whose options are read in one query, the first ``choice_limit`` rows of its queryset's order.

    With a limit (a picker of active incidents, newest first, on a desk that has run for years), the
    select lists only those rows; a posted value is still looked up in the whole queryset, so any row
    of it is accepted and anything outside it refused, as before.
    """

    iterator = ListedChoiceIterator

    def __init__(self, queryset, *, choice_limit: int | None = None, **kwargs):
        self.choice_limit = choice_limit
        super().__init__(queryset, **kwargs)
