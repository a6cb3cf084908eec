"""The one filter of article lists: /perspectives/ and GET /api/v1/perspectives/ read the same query string."""

from __future__ import annotations

import django_filters

from apps.perspectives.models import Article, Kind

# ?ordering= values and their names on the page; without one, each list keeps its own default order.
ORDERINGS = [
    ("-created_at", "Newest first"),
    ("created_at", "Oldest first"),
    ("title", "Title, A to Z"),
    ("-title", "Title, Z to A"),
]


class ArticleFilter(django_filters.FilterSet):
    """?kind=, ?tag= and ?ordering=; a value outside the choices is an error, an unknown tag matches nothing."""

    kind = django_filters.ChoiceFilter(choices=Kind.choices, label="Kind")
    tag = django_filters.CharFilter(field_name="tags__slug", label="Tag", help_text="Tag slug.")
    # Plain fields only: the API's cursor pagination reads the ordering field off each row.
    ordering = django_filters.OrderingFilter(
        fields=("created_at", "title"),
        choices=ORDERINGS,
        label="Order",
        help_text="created_at or title; a leading '-' reverses it.",
    )

    class Meta:
        model = Article
        fields = ["kind", "tag"]
