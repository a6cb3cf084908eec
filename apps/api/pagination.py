"""Cursor pagination: stable under inserts, so a client walking pages sees no row twice and skips none."""

from __future__ import annotations

from django.conf import settings
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class Cursor(CursorPagination):
    """Newest first by default; views set `ordering` to a tuple that ends in a unique field."""

    page_size_query_param = "page_size"
    ordering = ("-created_at", "-id")

    def get_page_size(self, request: Request) -> int | None:
        # Read on every request rather than once at import, so that a changed setting takes effect.
        self.page_size = settings.API_PAGE_SIZE
        self.max_page_size = settings.API_MAX_PAGE_SIZE
        return super().get_page_size(request)

    def get_ordering(self, request, queryset, view):  # type: ignore[no-untyped-def]
        # A list's FilterSet (apps/<app>/filters.py) orders the queryset when the query has ?ordering=;
        # keep that order, with the id after it so that rows which tie still come in one fixed order.
        chosen = queryset.query.order_by
        if chosen and all(isinstance(field, str) for field in chosen):
            if chosen[-1].lstrip("-") in ("id", "pk"):
                return tuple(chosen)
            return (*chosen, "-id" if chosen[0].startswith("-") else "id")
        # Without an OrderingFilter, DRF would use only this class's default; each view names its own.
        has_filter = any(hasattr(backend, "get_ordering") for backend in getattr(view, "filter_backends", []))
        if not has_filter and getattr(view, "ordering", None):
            ordering = view.ordering
            return (ordering,) if isinstance(ordering, str) else tuple(ordering)
        return super().get_ordering(request, queryset, view)
