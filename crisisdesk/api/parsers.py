"""Request parsers: every API body is decoded here, and refused here when no field could accept it.

What PostgreSQL, Python or the encoders downstream cannot take is refused once, for the whole
document, before any serializer or lookup sees it — so an observer naming an incident with a NUL
byte gets the same 400 as a communicator, never a 500 from the database:

- a JSON document nested deeper than ``MAX_JSON_DEPTH`` (a 100,000-deep array would otherwise
  exhaust Python's recursion limit);
- a NUL character (PostgreSQL ``text`` refuses it) or a lone UTF-16 surrogate such as
  ``"\\ud800"`` (no UTF-8 encoder accepts it) in any string or key;
- a number JSON can write but no field can hold: ``1e400`` (infinity), ``NaN``, an integer of
  more than ``MAX_INTEGER_DIGITS`` digits.

The error names the path of the offending value (``mentions[3].text``). The same string checks
run on form-encoded and multipart bodies. The size of a body is capped earlier, by
``crisisdesk.middleware.RequestSizeLimitMiddleware`` (413).
"""

import json
import math

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 64
# Ints beyond 2**63 fit no column; 2**63 has 19 digits. Longer ones are refused by the fields.
MAX_INTEGER_DIGITS = 40


def string_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or ``None``."""
    if "\x00" in value:
        return _("The NUL character (U+0000) is not allowed.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("A lone surrogate (U+D800–U+DFFF) is not valid Unicode.")
    return None


def _path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def _refuse(parts, message: str):
    path = _path(parts)
    raise ParseError(
        detail={
            "detail": _("Invalid value at %(path)s: %(message)s") % {"path": path, "message": message},
            "path": path,
        }
    )


def check_document(document, *, max_depth: int = MAX_JSON_DEPTH, strings: bool = True) -> None:
    """Walk a decoded document without recursion; raise ``ParseError`` at the first value no field may take.

    ``strings=False`` leaves NUL, lone surrogates and infinite numbers to a validator that answers
    field by field, item by item (``incidents.listening.parsing``).
    """
    stack = [(document, (), 1)]
    while stack:
        value, parts, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > max_depth:
                raise ParseError(
                    detail={
                        "detail": _("JSON nested too deeply: at most %(n)d levels.") % {"n": max_depth},
                        "path": _path(parts),
                    }
                )
            # Without the string checks only containers can fail (by depth): scalars are not visited
            # (a 200-mention bulk body has ~2,000 of them and ~200 containers).
            if isinstance(value, dict):
                for key, item in value.items():
                    if strings and (problem := string_problem(key)):
                        _refuse(parts, _("a key: %(problem)s") % {"problem": problem})
                    if strings or isinstance(item, (dict, list)):
                        stack.append((item, (*parts, key), depth + 1))
            else:
                for index, item in enumerate(value):
                    if strings or isinstance(item, (dict, list)):
                        stack.append((item, (*parts, index), depth + 1))
        elif isinstance(value, str):
            if strings and (problem := string_problem(value)):
                _refuse(parts, problem)
        elif strings and isinstance(value, float) and not math.isfinite(value):
            _refuse(parts, _("the number is out of range."))


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError("integer too long")
    return int(text)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus the checks above. Standard JSON only: no ``NaN`` or ``Infinity``."""

    check_strings = True

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        if stream is None:
            raise ParseError(_("JSON parse error - the body is empty."))
        try:
            document = json.loads(stream.read().decode(encoding), parse_int=_parse_int, parse_constant=_refuse_constant)
        except RecursionError:
            raise ParseError(
                detail={"detail": _("JSON nested too deeply: at most %(n)d levels.") % {"n": MAX_JSON_DEPTH}}
            ) from None
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, a too-long integer
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
        check_document(document, strings=self.check_strings)
        return document


def _check_querydict(data) -> None:
    for key, values in data.lists():
        if problem := string_problem(key):
            _refuse((), _("a field name: %(problem)s") % {"problem": problem})
        for value in values:
            if isinstance(value, str) and (problem := string_problem(value)):
                _refuse((key,), problem)


class ItemwiseJSONParser(StrictJSONParser):
    """For mentions, validated field by field and item by item (``mentions/`` and ``mentions/bulk/``):
    depth and integer size are checked here; NUL, lone surrogates and infinite numbers by the mention
    validator, which names the field — and in a batch one bad item does not sink the others."""

    check_strings = False


class StrictFormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _check_querydict(data)
        return data


class StrictMultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _check_querydict(result.data)
        return result
