"""The one filter of run lists: GET /api/v1/runs/ and the experiment page's run list read the same query string."""

from __future__ import annotations

import django_filters

from apps.core.filters import TrueOrFalseFilter
from apps.experiments.models import Run, RunQuerySet, RunStatus


class RunFilter(django_filters.FilterSet):
    """?experiment=, ?status=, ?requested_by= and ?mine=; pass request= so that ?mine=true knows who asks."""

    experiment = django_filters.CharFilter(field_name="experiment_id", label="Experiment", help_text="Experiment name.")
    status = django_filters.ChoiceFilter(choices=RunStatus.choices, label="Status")
    requested_by = django_filters.CharFilter(
        field_name="requested_by__username", label="Requested by", help_text="Username."
    )
    mine = TrueOrFalseFilter(
        method="filter_mine",
        label="Mine",
        help_text="true: only runs you requested (none when you are not signed in).",
    )

    class Meta:
        model = Run
        fields = ["experiment", "status", "requested_by", "mine"]

    def filter_mine(self, queryset: RunQuerySet, name: str, value: bool) -> RunQuerySet:
        return queryset.for_user(getattr(self.request, "user", None)) if value else queryset
