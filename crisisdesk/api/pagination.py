"""API pagination: keyset (cursor) pages, so page 2,000 of a large list costs what page 1 does."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination; each viewset names its own ordering.

    The ordering must end on a unique key and match an index (e.g.
    ``("-detected_at", "-id")``), otherwise the keyset query scans and rows
    sharing a position could be skipped between pages.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        # DRF reads the ordering from the paginator only; we let the viewset set
        # it, so one paginator class serves every list.
        view_ordering = getattr(view, "ordering", None)
        if view_ordering:
            return (view_ordering,) if isinstance(view_ordering, str) else tuple(view_ordering)
        return super().get_ordering(request, queryset, view)
