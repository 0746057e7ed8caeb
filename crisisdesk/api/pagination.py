"""API pagination: keyset (cursor) pages, so page 2,000 of a large list costs what page 1 does."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    # Each viewset sets ``ordering`` to a unique, indexed key (e.g. ("-detected_at", "-id")).
    ordering = "-id"
