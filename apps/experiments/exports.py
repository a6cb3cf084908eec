"""A run's data as files: its whole result, and exactly what its figure plots, as JSON and CSV.

One module for every download, so the run page, the figure links and the API
serve the same files. Every CSV cell of text goes through ``csv_cell``: a
spreadsheet must never read a cell as a formula (labels and keys may come from
an author's code). A finished run never changes, so each file is written once,
gzip-compressed, into the default storage, and served from there: a large
result costs its serialisation once, not once per download.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import patch_vary_headers

from apps.experiments.embeds import figure_version, plotted_series
from apps.experiments.models import Run

log = logging.getLogger(__name__)

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


# kind -> (how to write it, its media type, the file name's ending)
EXPORTS: dict[str, tuple[Callable[[Run], str], str, str]] = {
    "result-json": (result_json, "application/json", ".json"),
    "result-csv": (result_csv, "text/csv; charset=utf-8", ".csv"),
    "data-json": (plotted_json, "application/json", "-figure.json"),
    "data-csv": (plotted_csv, "text/csv; charset=utf-8", "-figure.csv"),
}


def stored_export(run: Run, kind: str) -> str:
    """The storage name of one export of a succeeded run, gzip-compressed, written the first time it is asked for."""
    # Plotted data follows the figure code too; the whole result depends on the run alone.
    drawn = f"-{figure_version(run)}" if kind.startswith("data-") else ""
    name = f"run-exports/{run.pk}/{run.digest[:32]}-{kind}{drawn}.gz"
    if not default_storage.exists(name):
        write = EXPORTS[kind][0]
        try:
            saved = default_storage.save(name, ContentFile(gzip.compress(write(run).encode(), compresslevel=6)))
        except OSError:
            # A full disk: Django's storage leaves the partial file behind, which every later request would
            # serve as this export, truncated. Remove it so that the export is written again next time.
            default_storage.delete(name)
            raise
        if saved != name:  # a concurrent request wrote it first: keep theirs
            default_storage.delete(saved)
    return name


def _unzipped(name: str) -> Iterator[bytes]:
    with default_storage.open(name, "rb") as handle, gzip.GzipFile(fileobj=handle) as plain:
        while chunk := plain.read(256 * 1024):
            yield chunk


def export_response(request: HttpRequest, run: Run, kind: str) -> HttpResponseBase:
    """The stored export as a download: sent compressed to clients that accept gzip, unpacked as it streams else.

    When it cannot be stored (a full disk), it is written for this request alone.
    """
    write, content_type, ending = EXPORTS[kind]
    response: HttpResponseBase
    try:
        name = stored_export(run, kind)
    except OSError as exc:
        log.warning("could not store export %s of run %s (%s); serving it unstored", kind, run.pk, exc)
        response = HttpResponse(write(run), content_type=content_type)
    else:
        response = _stored_response(request, name, content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename(run, ending)}"'
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def _stored_response(request: HttpRequest, name: str, content_type: str) -> HttpResponseBase:
    response: HttpResponseBase
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
        response["Content-Encoding"] = "gzip"
    else:
        response = StreamingHttpResponse(_unzipped(name), content_type=content_type)
    return response
