"""Pieces shared by the FilterSets of every app (pages and API read the same query string)."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError


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
