"""A run's bundle, downloaded from its page, reproduces its digest outside the site (no database, a clean folder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _clean_env() -> dict[str, str]:
    # Nothing of the site: no settings module, no path to this checkout.
    drop = ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    return {key: value for key, value in os.environ.items() if key not in drop} | {"COMPUTE_THREADS": "1"}


def test_a_bundle_from_the_run_page_reproduces_its_digest_in_a_clean_folder(client, finished_run, tmp_path) -> None:
    run = finished_run()
    response = client.get(f"/experiments/runs/{run.pk}/reproduce.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(response.content)
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        record = json.loads(archive.read("run.json"))
        archive.extractall(tmp_path / "unpacked")
    assert {"README.md", "requirements.txt", "run.json", "compute/experiments/deep_linear.py"} <= names
    assert record["expected_digest"] == run.digest and record["seed"] == run.seed
    assert "torch==" in (tmp_path / "unpacked" / "requirements.txt").read_text()
    # The README's one command, inside the unpacked bundle, with only its own code.
    inside = subprocess.run(
        [sys.executable, "-m", "compute.reproduce"],
        cwd=tmp_path / "unpacked",
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert inside.returncode == 0, inside.stdout + inside.stderr
    assert "matched" in inside.stdout and run.digest in inside.stdout
    # The site's command, given the zip.
    cli = subprocess.run(
        [sys.executable, "-m", "compute", "reproduce", str(bundle)],
        cwd=ROOT,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert cli.returncode == 0 and "matched" in cli.stdout, cli.stdout + cli.stderr


def test_a_bundle_whose_code_is_edited_no_longer_matches(client, finished_run, tmp_path) -> None:
    run = finished_run()
    with (
        zipfile.ZipFile(tmp_path / "b.zip", "w") as edited,
        zipfile.ZipFile(
            __import__("io").BytesIO(client.get(f"/experiments/runs/{run.pk}/reproduce.zip").content)
        ) as original,
    ):
        for name in original.namelist():
            data = original.read(name)
            if name == "run.json":
                record = json.loads(data)
                record["config"]["lr"] = record["config"]["lr"] * 0.5  # another computation than the run's
                data = json.dumps(record).encode()
            edited.writestr(name, data)
    result = subprocess.run(
        [sys.executable, "-m", "compute", "reproduce", str(tmp_path / "b.zip")],
        cwd=ROOT,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1 and "differed" in result.stdout


def test_a_run_of_older_code_gets_no_bundle_but_the_reason(client, finished_run) -> None:
    from apps.experiments.models import Run

    run = finished_run()
    Run.objects.filter(pk=run.pk).update(code_hash="0ld0c0de0ld0c0de")
    response = client.get(f"/experiments/runs/{run.pk}/reproduce.zip")
    assert response.status_code == 409 and "code has changed since this run" in response.json()["error"]


def test_a_bundle_re_runs_with_the_thread_count_its_run_used(client, finished_run, tmp_path) -> None:
    # A CPU digest holds for one thread count (reductions split across threads add in another order), so the
    # reproduction uses the run's, whatever COMPUTE_THREADS the reader's shell has.
    run = finished_run()
    run.provenance = {**run.provenance, "threads": 2}
    run.save(update_fields=["provenance"])
    response = client.get(f"/experiments/runs/{run.pk}/reproduce.zip")
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(response.content)
    with zipfile.ZipFile(bundle) as archive:
        assert json.loads(archive.read("run.json"))["threads"] == 2
        assert "as many compute threads as the run\nused (2)" in archive.read("README.md").decode()
    cli = subprocess.run(
        [sys.executable, "-m", "compute", "reproduce", str(bundle)],
        cwd=ROOT,
        env=_clean_env(),  # COMPUTE_THREADS=1
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert cli.returncode == 0 and "seed 0, 2 thread(s)" in cli.stdout and "matched" in cli.stdout, cli.stdout
