"""The one filter of run lists: GET /api/v1/runs/ and the experiment page's run list read the same query string."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError

from apps.experiments.models import Run, RunQuerySet, RunStatus


class TrueOrFalseField(forms.NullBooleanField):
    """A boolean in a query string: true or false, in any case; anything else is an error, not "no filter"."""

    widget = forms.TextInput  # Django's NullBooleanSelect would turn an unknown word into None before we see it

    # django-stubs give NullBooleanField the bool of BooleanField; Django's own returns None for "unset".
    def to_python(self, value: object) -> bool | None:  # type: ignore[override]
        if value in (None, ""):
            return None
        word = str(value).strip().lower()
        if word not in ("true", "false"):
            raise ValidationError("Use true or false, not %(value)s.", code="invalid", params={"value": value})
        return word == "true"


class TrueOrFalseFilter(django_filters.BooleanFilter):
    field_class = TrueOrFalseField


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
