"""Cursor pagination: stable under inserts, so a client walking pages sees no row twice and skips none."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination

from apps.api import conf


class Cursor(CursorPagination):
    """Newest first by default; views set `ordering` to a tuple that ends in a unique field."""

    page_size = conf.PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = conf.MAX_PAGE_SIZE
    ordering = ("-created_at", "-id")

    def get_ordering(self, request, queryset, view):  # type: ignore[no-untyped-def]
        # Without an OrderingFilter, DRF would use only this class's default; each view names its own.
        has_filter = any(hasattr(backend, "get_ordering") for backend in getattr(view, "filter_backends", []))
        if not has_filter and getattr(view, "ordering", None):
            ordering = view.ordering
            return (ordering,) if isinstance(ordering, str) else tuple(ordering)
        return super().get_ordering(request, queryset, view)
