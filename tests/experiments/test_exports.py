"""Every CSV the site serves reads, in a spreadsheet, as data: no cell is ever taken for a formula."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from apps.experiments.exports import csv_cell
from apps.experiments.models import Run, RunResult
from apps.submissions import services
from tests.factories import GOOD_SOURCE, downloaded

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _as_a_spreadsheet_reads_it(text: str) -> list[str]:
    """The cells a spreadsheet would evaluate as formulas: text cells starting with = + - @ (or tab, return)."""
    formulas = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            try:
                float(cell)
                continue  # a number, however it starts
            except ValueError:
                pass
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                formulas.append(cell)
    return formulas


@pytest.mark.parametrize("value", HOSTILE)
def test_text_that_would_be_a_formula_is_neutralised_and_numbers_are_not(value: str) -> None:
    assert csv_cell(value) == "'" + value
    assert csv_cell(-2.5) == "-2.5" and csv_cell(1e-300) == "1e-300"


def test_an_authors_series_labels_and_result_keys_never_become_formulas(client, alice, ed) -> None:
    draft = services.submission_create(author=alice, fields={"title": "T", "summary": "S", "body": "B"})
    spec = {"title": "t", "series": [{"x": "x", "y": "y", "label": HOSTILE[0], "kind": "line"}]}
    exp = services.author_experiment_save(
        submission=draft, user=alice, name="evil", source=GOOD_SOURCE, figure_spec=spec
    )
    services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )
    run, _ = services.author_experiment_run(experiment=exp, user=alice)
    RunResult.objects.create(run=run, data={"x": [0.0, 1.0], "y": [-1.0, 2.0], "=cmd|' /C calc'!A0": [1.0, 2.0]})
    Run.objects.filter(pk=run.pk).update(status="succeeded", digest="e" * 64, finished_at=timezone.now())
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    for path in (f"/experiments/runs/{run.pk}/data.csv", f"/experiments/runs/{run.pk}/result.csv"):
        response = client.get(path)
        assert response.status_code == 200, path
        text = downloaded(response).decode()
        assert _as_a_spreadsheet_reads_it(text) == [], path
    api = client.get(f"/api/v1/runs/{run.pk}/result.csv")
    assert _as_a_spreadsheet_reads_it(downloaded(api).decode()) == []
