"""``{{ form.field|as_field }}``: crispy's Bootstrap 5 field markup, built in Python for the plain widgets.

``as_crispy_field`` renders ``bootstrap5/field.html`` and its includes for every field: about a millisecond
of CPU per field, most of it template machinery around the widget (issue 15, docs/performance.md). The list
pages' filter forms render up to eight fields on every request. For a text-like input or a select without a
form helper this filter writes the same elements, attributes, label, errors and help text as crispy does
(``crisisdesk/tests/test_fast_fields.py`` compares the two, valid and invalid, bound and unbound); any other
field (checkboxes, radios, files, multi-widgets, fieldsets, forms with a helper) is handed to crispy itself.
"""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms, template
from django.conf import settings
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

# Widgets crispy renders through its generic branch (select, or input with form-control).
_CRISPY_ONLY = (forms.CheckboxInput, forms.RadioSelect, forms.FileInput, forms.MultiWidget)


def _fast_path(field) -> bool:
    widget = field.field.widget
    return (
        getattr(field.form, "helper", None) is None
        and not field.is_hidden
        and not isinstance(widget, _CRISPY_ONLY)
        and not hasattr(widget, "widget")  # a wrapper (admin's related-field widget)
        and not field.use_fieldset
    )


def _add_classes(widget, extra: str) -> None:
    # The same mutation as crispy's ``{% crispy_field %}``: the widget's class name, then the Bootstrap classes.
    class_name = widget.__class__.__name__.lower()
    class_name = getattr(settings, "CRISPY_CLASS_CONVERTERS", {}).get(class_name, class_name)
    css_class = widget.attrs.get("class", "")
    if css_class:
        if css_class.find(class_name) == -1:
            css_class += f" {class_name}"
    else:
        css_class = class_name
    for name in extra.split():
        if name not in css_class.split():
            css_class += " " + name
    widget.attrs["class"] = css_class


@register.filter
def as_field(field):
    """The field as ``|as_crispy_field`` renders it (Bootstrap 5, no helper), without crispy's templates."""
    if not _fast_path(field):
        return as_crispy_field(field)
    widget = field.field.widget
    errors = field.errors
    required = field.field.required
    _add_classes(
        widget,
        ("form-select" if isinstance(widget, forms.Select) else "form-control") + (" is-invalid" if errors else ""),
    )
    parts = []
    if field.label:
        parts.append(
            format_html(
                '<label{} class="form-label{}">{}{}</label>',
                format_html(' for="{}"', field.id_for_label) if field.id_for_label else "",
                " requiredField" if required else "",
                field.label,
                mark_safe('<span class="asteriskField">*</span>') if required else "",
            )
        )
    parts.append(conditional_escape(str(field)))
    if errors:
        parts.append(
            format_html(
                '<div id="{}_error" class="invalid-feedback">{}</div>',
                getattr(errors, "field_id", ""),
                format_html_join(
                    "",
                    '<p id="error_{}_{}"><strong>{}</strong></p>',
                    ((number, field.auto_id, error) for number, error in enumerate(errors, start=1)),
                ),
            )
        )
    if field.help_text:
        parts.append(
            format_html(
                '<div {}class="form-text">{}</div>',
                format_html('id="{}_helptext" ', field.auto_id) if field.auto_id else "",
                # crispy writes it with |safe (help texts are the code's own, some with markup): the same here.
                mark_safe(field.help_text),  # noqa: S308 (as crispy's template does)
            )
        )
    css_classes = field.css_classes()
    return format_html(
        '<div id="div_{}" class="mb-3{}">{}</div>',
        field.auto_id,
        " " + css_classes if css_classes else "",
        format_html_join("", "{}", ((part,) for part in parts)),  # each part already escaped or safe
    )
