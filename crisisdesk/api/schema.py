"""The OpenAPI schema tells the truth: every operation documents the errors it can answer, and fields
say when they may be null or empty.

Two generic corrections to drf-spectacular's inference, made here once for every endpoint:

- **Error responses.** Every operation may answer 401 (no credentials), 403 (no permission),
  429 (throttled); one with parameters or a body may answer 400; one on an object (a path
  parameter) or a cursor-paginated list (a stale cursor) may answer 404; one with a body 413 (too
  large) and 415 (unsupported media type). ``AutoSchema`` adds those an operation does not
  already describe, with the bodies the exception handler (``crisisdesk.api.exceptions``) really
  writes.
- **Null and blank.** A read-only relation or value whose model field is ``null=True`` is
  nullable; a ``URLField``/``EmailField`` whose model field is ``blank=True`` may be the empty
  string, which is not a ``uri``/``email``.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

ERROR_DETAIL = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "Why the request was refused."},
        "code": {"type": "string", "description": "A machine-readable reason, where there is one."},
    },
    "required": ["detail"],
}

# DRF's field errors: field name → messages (nested objects for nested input), ``non_field_errors``
# for the rest, or ``detail`` for a request that could not be read at all.
VALIDATION_ERROR = {
    "type": "object",
    "description": "Field name → list of messages; `non_field_errors` for the rest; `detail` when the "
    "request could not be read.",
    "additionalProperties": {},
}

_DETAIL = {"$ref": "#/components/schemas/ErrorDetail"}
_FIELDS = {"$ref": "#/components/schemas/FieldErrors"}

GENERIC_ERRORS = {
    "400": ("Invalid input: the body maps each field to its messages.", _FIELDS),
    "401": ("No valid credentials (session, token or integration key).", _DETAIL),
    "403": ("You may not do this (role, scope, or the object's rules).", _DETAIL),
    "404": ("Not found, or not visible to you (the two answer alike).", _DETAIL),
    "413": ("The request body is larger than this endpoint accepts.", _DETAIL),
    "415": ("Unsupported media type: send application/json.", _DETAIL),
    "429": ("Too many requests: retry after the number of seconds in Retry-After.", _DETAIL),
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema with the corrections described in the module docstring."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        for code in self._error_codes():
            if code not in responses:
                description, schema = GENERIC_ERRORS[code]
                responses[code] = {
                    "content": {"application/json": {"schema": schema}},
                    "description": description,
                }
        return responses

    def _error_codes(self) -> list[str]:
        method = self.method.upper()
        has_path_parameter = "{" in self.path
        has_body = method in ("POST", "PUT", "PATCH")
        is_list = method == "GET" and self._is_list_view()
        codes = ["401", "403", "429"]
        if has_body or is_list or self._get_filter_parameters() or self._get_pagination_parameters():
            codes.append("400")
        if has_path_parameter or is_list:
            codes.append("404")
        if has_body:
            codes += ["413", "415"]
        return sorted(codes)

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions=bypass_extensions)
        model_field = _model_field(field)
        if model_field is None:
            return schema
        if field.read_only and model_field.null and not schema.get("nullable") and "$ref" not in schema:
            schema["nullable"] = True
        return schema

    def _insert_field_validators(self, field, schema):
        # The URL and e-mail formats come from the field's validators, added here: a blank value
        # ("") the model allows is valid data, not a malformed URI.
        super()._insert_field_validators(field, schema)
        model_field = _model_field(field)
        if schema.get("format") in ("uri", "email") and (
            getattr(field, "allow_blank", False) or (model_field is not None and model_field.blank)
        ):
            format_ = schema.pop("format")
            schema["anyOf"] = [{"format": format_}, {"maxLength": 0}]


def _model_field(field) -> models.Field | None:
    """The model field a serializer field reads, when it reads one directly (``source`` without dots)."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or "." in source or source == "*":
        return None
    if isinstance(field, serializers.SerializerMethodField):
        return None
    try:
        model_field = model._meta.get_field(source)
    except FieldDoesNotExist:
        return None
    return model_field if isinstance(model_field, models.Field) else None


def add_error_components(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error bodies ``AutoSchema`` refers to."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorDetail", ERROR_DETAIL)
    schemas.setdefault("FieldErrors", VALIDATION_ERROR)
    return result
