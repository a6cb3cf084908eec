"""The one filter of question lists: /questions/ and GET /api/v1/questions/ read the same query string."""

from __future__ import annotations

import django_filters

from apps.questions.models import Question, QuestionStatus

# ?ordering= values and their names on the page; without one, questions come by number.
ORDERINGS = [
    ("number", "By number"),
    ("-number", "Newest question first"),
    ("-updated_at", "Recently updated first"),
    ("updated_at", "Least recently updated first"),
]


class QuestionFilter(django_filters.FilterSet):
    """?status=, ?tag= and ?ordering=; a value outside the choices is an error, an unknown tag matches nothing."""

    status = django_filters.ChoiceFilter(choices=QuestionStatus.choices, label="Status")
    tag = django_filters.CharFilter(field_name="tags__slug", label="Tag", help_text="Tag slug.")
    ordering = django_filters.OrderingFilter(
        fields=("number", "updated_at"),
        choices=ORDERINGS,
        label="Order",
        help_text="number or updated_at; a leading '-' reverses it.",
    )

    class Meta:
        model = Question
        fields = ["status", "tag"]
