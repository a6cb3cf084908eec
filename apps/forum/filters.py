"""The one filter of thread lists: the category and tag pages and GET /api/v1/forum/threads/ read the same query."""

from __future__ import annotations

import django_filters

from apps.core.filters import TrueOrFalseFilter
from apps.forum.models import Thread, ThreadQuerySet


class ThreadFilter(django_filters.FilterSet):
    """?category=, ?author=, ?tag= and ?is_question=; unknown slugs and names match nothing."""

    category = django_filters.CharFilter(field_name="category__slug", label="Category", help_text="Category slug.")
    author = django_filters.CharFilter(
        field_name="author__username", label="Started by", help_text="Username of the starter."
    )
    tag = django_filters.CharFilter(method="filter_tag", label="Tag", help_text="Tag slug.")
    is_question = TrueOrFalseFilter(label="Questions", help_text="true: question threads only; false: the others.")

    class Meta:
        model = Thread
        fields = ["category", "author", "tag", "is_question"]

    def filter_tag(self, queryset: ThreadQuerySet, name: str, value: str) -> ThreadQuerySet:
        # Tags are a JSON list, and SQLite has no JSON containment lookup; the quoted slug
        # matches one whole element of the stored list ("sgd" never matches "sgd-noise").
        return queryset.filter(tags__icontains=f'"{value}"')
