"""A paginator whose count stops at a cap: a list over 100,000 rows costs what a list over 1,001 does.

Django's ``Paginator`` runs ``COUNT(*)`` over every row the filters keep, on every page view: at
100,000 visible incidents that count is most of the page's database time. ``CappedPaginator``
counts at most ``cap + 1`` rows (``SELECT COUNT(*) FROM (… LIMIT cap + 1)``), so the page can say
"More than 1,000 incidents" and the user narrows the filters, which stay exact (they are the same
``WHERE`` clause; only the total is capped). That count rides along with the page's rows as a scalar
subquery, so a page of a queryset costs one query.

Pages beyond the cap still work: a page fetches one row more than it shows, which tells whether
there is a next page without knowing the total. When that fetch finds the end of the list (the
last page, or a list shorter than one page), the exact total is known from it and no count runs.
"""

import math

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import IntegerField, QuerySet, Subquery
from django.utils.functional import cached_property

# A desk that sees more incidents than this is told "more than 1,000" instead of an exact total.
COUNT_CAP = 1000


class RowCount(Subquery):
    """``(SELECT COUNT(*) FROM (<queryset>) capped)``: how many rows a (sliced) queryset has, as an expression."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped)"
    output_field = IntegerField()


# The annotation that brings the capped count along with a page's rows.
CAPPED_COUNT = "_capped_count"


class CappedPage(Page):
    """A page that knows from its own fetch whether another one follows."""

    def __init__(self, object_list, number, paginator, *, has_more: bool):
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class CappedPaginator(Paginator):
    """``Paginator`` with a count capped at ``cap`` (``count == cap + 1`` means "more than ``cap``")."""

    cap = COUNT_CAP
    # Set when a page's fetch reached the end of the list: ``count`` is then exact whatever its size.
    end_seen = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not hasattr(queryset, "query"):
            return len(queryset)
        # The cap's subquery reads ids only: no joined columns, no ordering to sort 100,000 rows by.
        return queryset.order_by().values("pk")[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        """Are there more than ``cap`` rows, and the total unknown?"""
        return not self.end_seen and self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        """The pages the count covers: when capped, the pages up to the cap (more may follow)."""
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(max(0, self.count - self.orphans) / self.per_page))

    def validate_number(self, number) -> int:
        """A whole number ≥ 1; whether its page has rows is for ``page()`` to find out (past the cap too)."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from error
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number) -> CappedPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        # One row past what the page may show (the orphans a last page absorbs included) says if more follow.
        rows = list(self._rows_with_capped_count()[bottom : bottom + self.per_page + self.orphans + 1])
        has_more = len(rows) > self.per_page + self.orphans
        if has_more:
            rows = rows[: self.per_page]
            if "count" not in self.__dict__ and hasattr(rows[0], CAPPED_COUNT):
                self.__dict__["count"] = getattr(rows[0], CAPPED_COUNT)
        else:
            if not rows and (number > 1 or not self.allow_empty_first_page):
                raise EmptyPage(self.error_messages["no_results"])
            # The end of the list is on this page: the exact total, without a count.
            self.__dict__["count"] = bottom + len(rows)
            self.end_seen = True
            self.__dict__.pop("num_pages", None)
        return CappedPage(rows, number, self, has_more=has_more)

    def _rows_with_capped_count(self):
        """The rows, each carrying the capped count: the page and its total in one query.

        The count is an uncorrelated scalar subquery, which PostgreSQL and SQLite evaluate once per query:
        ``(SELECT COUNT(*) FROM (<the capped ids>) capped)``. Counting ``pk IN (<the capped ids>)`` instead
        let PostgreSQL hash the 1,001 ids and scan the whole table against them (the mention inbox at
        100,000 mentions: 17.4 ms, against 0.5 ms for the derived table; the incident list 1.3 → 0.4 ms).
        """
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or queryset._fields is not None or "count" in self.__dict__:
            return queryset
        capped_ids = queryset.order_by().values("pk")[: self.cap + 1]
        return queryset.annotate(**{CAPPED_COUNT: RowCount(capped_ids)})

    def get_elided_page_range(self, number=1, *, on_each_side=3, on_ends=2):
        """Django's elided range; when capped, it ends with "…" after the next pages (the last one is unknown)."""
        number = self.validate_number(number)
        if not self.capped:
            yield from super().get_elided_page_range(number, on_each_side=on_each_side, on_ends=on_ends)
            return
        if number > (1 + on_each_side + on_ends) + 1:
            yield from range(1, on_ends + 1)
            yield self.ELLIPSIS
            yield from range(number - on_each_side, number + 1)
        else:
            yield from range(1, number + 1)
        yield from range(number + 1, min(number + on_each_side, self.num_pages) + 1)
        yield self.ELLIPSIS
