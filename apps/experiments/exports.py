"""A run's data as files: its whole result, and exactly what its figure plots, as JSON and CSV.

One module for every download, so the run page, the figure links and the API
serve the same files. Every CSV cell of text goes through ``csv_cell``: a
spreadsheet must never read a cell as a formula (labels and keys may come from
an author's code).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from apps.experiments.embeds import plotted_series
from apps.experiments.models import Run

# A spreadsheet evaluates a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as CSV text; numbers as Python writes them (round-trippable), text never read as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue()


def filename(run: Run, what: str) -> str:
    """``<experiment>-run<id><what>``, e.g. deep_linear-run12.csv or deep_linear-run12-figure.json."""
    return f"{run.experiment_id}-run{run.pk}{what}"


def result_document(run: Run) -> dict[str, Any]:
    """A succeeded run's whole result with what identifies it: run, experiment, config, digest, provenance."""
    return {
        "run": run.pk,
        "experiment": run.experiment_id,
        "config": run.config,
        "digest": run.digest,
        "provenance": run.provenance,
        "result": run.result.data,
    }


def result_json(run: Run) -> str:
    return json.dumps(result_document(run), indent=1)


def flatten_columns(data: Any) -> dict[str, list[Any]]:
    """Every numeric array in a result as CSV columns: 1-D arrays as is, rows of 2-D arrays as ``name[i]``."""
    columns: dict[str, list[Any]] = {}

    def scalar(value: Any) -> bool:
        return value is None or isinstance(value, (int, float, str, bool))

    def visit(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                visit(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and value and all(scalar(v) for v in value) and len(value) > 1:
            columns[prefix] = value
        elif isinstance(value, list) and value and all(isinstance(v, list) for v in value):
            for i, row in enumerate(value):
                visit(f"{prefix}[{i}]", row)

    visit("", data)
    return columns


def result_csv(run: Run) -> str:
    """Every array of a succeeded run's result as one CSV column (shorter columns padded with empty cells)."""
    columns = flatten_columns(run.result.data)
    length = max((len(c) for c in columns.values()), default=0)
    rows: list[list[Any]] = [list(columns)]
    rows += [[col[i] if i < len(col) else None for col in columns.values()] for i in range(length)]
    return _csv(rows)


def plotted_document(run: Run) -> dict[str, Any]:
    """Exactly what a succeeded run's figure draws: {run, experiment, config, digest, series: [{name, role, x, y}]}."""
    return {
        "run": run.pk,
        "experiment": run.experiment_id,
        "config": run.config,
        "digest": run.digest,
        "series": plotted_series(run),
    }


def plotted_json(run: Run) -> str:
    return json.dumps(plotted_document(run), indent=1)


def plotted_csv(run: Run) -> str:
    """The plotted series in long format: series, role, x, y (one row per plotted point)."""
    rows: list[list[Any]] = [["series", "role", "x", "y"]]
    for s in plotted_series(run):
        rows += [[s["name"], s["role"], x, y] for x, y in zip(s["x"], s["y"], strict=True)]
    return _csv(rows)
