"""API pagination: keyset (cursor) pages, so page 2,000 of a large list costs what page 1 does.

DRF's own ``CursorPagination`` keys on the *first* ordering column only and
steps over rows sharing it with an offset capped at 1,000: with 1,600 mentions
posted in the same second, ``next`` repeated the same cursor forever. This
paginator keys on *every* ordering column (a row comes after the cursor when
its tuple of ordering values does), and the ordering always ends on a unique
column: when the view's does not, the primary key is appended. So every row
is seen exactly once, whatever the ties, and no offset is needed.
"""

import json
from base64 import b64decode, b64encode
from binascii import Error as BinasciiError

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db.models import F, Q
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.utils.urls import replace_query_param


def _field_name(term: str) -> str:
    return term.lstrip("-")


def _descending(term: str) -> bool:
    return term.startswith("-")


def _model_field(model, name: str):
    if name == "pk":
        return model._meta.pk
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _is_unique(model, name: str) -> bool:
    field = _model_field(model, name)
    return field is not None and (field.primary_key or field.unique) and not field.null


def unique_ordering(model, ordering) -> tuple[str, ...]:
    """``ordering`` as a tuple that ends on a unique, non-null column: the primary key is
    appended (in the direction of the last column) when it does not already."""
    ordering = (ordering,) if isinstance(ordering, str) else tuple(ordering)
    if any("__" in term for term in ordering):
        # The cursor reads each value off the row: a column of this model only.
        raise ImproperlyConfigured(f"Cursor ordering {ordering!r} must name columns of {model.__name__}, not lookups.")
    if not ordering:
        return ("-pk",)
    if _is_unique(model, _field_name(ordering[-1])):
        return ordering
    return (*ordering, "-pk" if _descending(ordering[-1]) else "pk")


def _order_expression(term: str, reverse: bool):
    """NULL sorts as the greatest value on every database (PostgreSQL and SQLite differ
    otherwise), so a reversed ordering is exactly the mirror image of the forward one."""
    descending = _descending(term) != reverse
    expression = F(_field_name(term))
    return expression.desc(nulls_first=True) if descending else expression.asc(nulls_last=True)


def _after(name: str, value, descending: bool) -> Q:
    """Rows strictly after ``value`` in one column, NULL being the greatest value."""
    if descending:  # smaller values come after; NULL (greatest) comes first
        return Q(**{f"{name}__isnull": False}) if value is None else Q(**{f"{name}__lt": value})
    if value is None:  # nothing is greater than NULL
        return Q(pk__in=[])
    return Q(**{f"{name}__gt": value}) | Q(**{f"{name}__isnull": True})


def _equal(name: str, value) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def keyset_after(ordering, position, reverse: bool, *, model=None) -> Q:
    """Rows whose tuple of ordering values comes strictly after ``position``
    (strictly before it when ``reverse``): (a > x) or (a = x and b > y) or …

    With ``model``, a non-null first column also gets the plain bound ``a >= x``
    (``a <= x`` descending), redundant but what lets the database start its index
    scan at the cursor instead of filtering every row before it.
    """
    condition = Q(pk__in=[])
    prefix = Q()
    for term, value in zip(ordering, position, strict=True):
        name = _field_name(term)
        condition |= prefix & _after(name, value, _descending(term) != reverse)
        prefix &= _equal(name, value)
    first, value = _field_name(ordering[0]), position[0]
    field = _model_field(model, first) if model is not None else None
    if field is not None and not field.null and value is not None:
        lookup = "lte" if _descending(ordering[0]) != reverse else "gte"
        condition &= Q(**{f"{first}__{lookup}": value})
    return condition


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination on every ordering column; each viewset names its own ordering.

    The ordering should match an index (e.g. ``("-detected_at", "-id")``) so the
    keyset query does not scan; it is made unique here (``unique_ordering``) so
    rows sharing a position are never skipped nor repeated.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        # DRF reads the ordering from the paginator only; we let the viewset set
        # it, so one paginator class serves every list.
        ordering = getattr(view, "ordering", None) or self.ordering
        return unique_ordering(queryset.model, ordering)

    def paginate_queryset(self, queryset, request, view=None):
        if not self.start(request, queryset, view):
            return None
        reverse, position = (False, None) if self.cursor is None else self.cursor
        queryset = queryset.order_by(*(_order_expression(term, reverse) for term in self.ordering))
        if position is not None:
            queryset = queryset.filter(keyset_after(self.ordering, position, reverse, model=self.model))
        return self.paginate_rows(list(queryset[: self.page_size + 1]))

    def start(self, request, queryset, view=None) -> bool:
        """Read the request (page size, cursor, ordering); False when the list is not paginated."""
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return False
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.model = queryset.model
        self.cursor = self.decode_cursor(request)
        return True

    def first_page(self, queryset):
        """The queryset of the first page (no cursor), ``page_size + 1`` rows: what ``paginate_queryset``
        reads then, for a caller that compiles it once (``crisisdesk.compiled``) and hands the rows to
        ``paginate_rows``."""
        return queryset.order_by(*(_order_expression(term, False) for term in self.ordering))[: self.page_size + 1]

    def paginate_rows(self, results: list) -> list:
        """The page from up to ``page_size + 1`` rows read after ``start``'s cursor; sets the links."""
        reverse, position = (False, None) if self.cursor is None else self.cursor
        self.page = results[: self.page_size]
        has_more = len(results) > self.page_size
        if reverse:
            self.page.reverse()

        first = self._position_of(self.page[0]) if self.page else position
        last = self._position_of(self.page[-1]) if self.page else position
        # Going forward, the rows before the cursor exist; going back, those after it do.
        self.has_next = has_more if not reverse else position is not None
        self.has_previous = (position is not None) if not reverse else has_more
        self.next_position, self.previous_position = last, first
        self.display_page_controls = (self.has_previous or self.has_next) and self.template is not None
        return self.page

    def get_next_link(self):
        if not self.has_next:
            return None
        return self.encode_cursor((False, self.next_position))

    def get_previous_link(self):
        if not self.has_previous:
            return None
        return self.encode_cursor((True, self.previous_position))

    def _position_of(self, instance) -> list:
        values = []
        for term in self.ordering:
            name = _field_name(term)
            if name == "pk":
                value = instance["pk"] if isinstance(instance, dict) else instance.pk
            else:
                value = instance[name] if isinstance(instance, dict) else getattr(instance, name)
            if hasattr(value, "pk"):  # a foreign key named by its field: key on its id
                value = value.pk
            values.append(value)
        return values

    def encode_cursor(self, cursor):
        reverse, position = cursor
        payload = {"p": [None if value is None else str(value) for value in position]}
        if reverse:
            payload["r"] = 1
        encoded = b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode("ascii")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def decode_cursor(self, request):
        """``(reverse, position)`` from the ``cursor`` parameter; a cursor that is not one
        of ours (forged, truncated, from another list) answers 404 "Invalid cursor"."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            payload = json.loads(b64decode(encoded.encode("ascii"), validate=True))
            raw = payload["p"]
            reverse = payload.get("r", 0)
            if not isinstance(raw, list) or len(raw) != len(self.ordering) or reverse not in (0, 1):
                raise ValueError
            position = [self._to_python(term, value) for term, value in zip(self.ordering, raw, strict=True)]
        except (TypeError, ValueError, KeyError, AttributeError, UnicodeError, BinasciiError, ValidationError):
            raise NotFound(self.invalid_cursor_message) from None
        return bool(reverse), position

    def _to_python(self, term: str, value):
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError
        field = _model_field(self.model, _field_name(term))
        if field is None:
            return value
        target = getattr(field, "target_field", None) if field.is_relation else field
        if "\x00" in value:  # PostgreSQL refuses NUL in any string
            raise ValueError
        python = (target or field).to_python(value)
        if python is None:
            raise ValueError
        (target or field).run_validators(python)  # e.g. an integer out of the column's range
        return python
