"""The launch content in site/ loads cleanly, and a second load changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from apps.core.models import Page
from apps.perspectives.models import Article, Kind, Sequence
from apps.questions.models import Question


@pytest.mark.django_db
def test_the_site_folder_loads_and_a_second_load_changes_nothing(settings):
    settings.FIGURE_RESOLVER = ""  # figures as placeholders: this test requests no runs
    first, second = StringIO(), StringIO()
    call_command("loadsite", stdout=first, stderr=first)
    assert Page.objects.filter(slug="about").exists()
    assert Article.objects.filter(kind=Kind.PERSPECTIVE).count() >= 5
    assert Article.objects.filter(kind=Kind.TUTORIAL).count() >= 10
    assert Question.objects.count() >= 10
    tutorials = Sequence.objects.get(slug="reference-experiments")
    assert tutorials.items.count() == 10
    call_command("loadsite", stdout=second, stderr=second)
    assert "up to date" in second.getvalue()
