"""Form helpers every app's browser views share."""

from django import forms
from django.core.exceptions import ValidationError


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
