"""An approved author experiment runs through the worker's code path and the real sandbox.

These call apps.experiments.execution.execute_run, which is what the Celery
task runs, so the path from a queued Run to a stored result is the one a
worker takes; only the message broker is left out.
"""

from __future__ import annotations

from typing import Any

import pytest

from apps.experiments.execution import execute_run
from apps.submissions import services
from tests.factories import GOOD_SOURCE, SPEC
from tests.sandbox import SLOT

pytestmark = [pytest.mark.sandbox, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _sandbox_here(settings: Any) -> None:
    settings.SANDBOX_SLOT_BASE = SLOT  # this test process's own slot
    settings.SANDBOX_WALL_SECONDS = 90
    settings.SANDBOX_MEMORY_MB = 2048


def _approved(alice: Any, ed: Any, source: str) -> Any:
    draft = services.submission_create(author=alice, fields={"title": "T", "summary": "S", "body": "B"})
    exp = services.author_experiment_save(submission=draft, user=alice, name="exp", source=source, figure_spec=SPEC)
    return services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )


def test_the_smoke_preset_runs_in_the_sandbox_and_its_result_is_stored(alice: Any, ed: Any) -> None:
    from compute.figure_spec import build_figure

    exp = _approved(alice, ed, GOOD_SOURCE)
    run, _ = services.author_experiment_run(experiment=exp, user=alice)
    assert execute_run(run.pk) == "succeeded"
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.result.data == {"x": [0.0, 1.0, 2.0, 3.0], "y": [0.0, 1.0, 4.0, 9.0]}  # the smoke preset: n=4
    assert run.provenance["sandbox"] is True and run.provenance["source_sha256"] == exp.sha256
    assert build_figure(exp.figure_spec, run.result.data) is not None


def test_an_author_run_can_be_reproduced_and_its_figure_is_drawn(alice: Any, ed: Any, client: Any) -> None:
    from apps.experiments.services import run_reproduce

    exp = _approved(alice, ed, GOOD_SOURCE)
    run, _ = services.author_experiment_run(experiment=exp, user=alice)
    assert execute_run(run.pk) == "succeeded"
    run.refresh_from_db()
    copy = run_reproduce(run=run, user=alice)
    assert copy.reproduction_of_id == run.pk and copy.code_hash == run.code_hash
    assert execute_run(copy.pk) == "succeeded"
    copy.refresh_from_db()
    assert copy.reproduced_match is True and copy.digest == run.digest
    client.force_login(alice)
    item = client.get(f"/experiments/runs/{copy.pk}/figure.json").json()["item"]
    assert "n squared" in str(item)  # drawn from the experiment's figure spec
    assert b"lm-figure-live" in client.get(f"/experiments/runs/{copy.pk}/").content


def test_an_invalid_preset_is_caught_inside_the_sandbox(alice: Any, ed: Any) -> None:
    exp = _approved(alice, ed, GOOD_SOURCE.replace('{"n": 4}', '{"n": "many"}'))
    run, _ = services.author_experiment_run(experiment=exp, user=alice)
    assert execute_run(run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == "failed" and "invalid configuration" in (run.error + run.traceback)


def test_a_hostile_module_fails_the_run_and_the_worker_keeps_serving(alice: Any, ed: Any) -> None:
    hostile = GOOD_SOURCE.replace('    ctx.progress(1.0, "done")', '    open("/etc/shadow").read()')
    bad = _approved(alice, ed, hostile)
    run, _ = services.author_experiment_run(experiment=bad, user=alice)
    assert execute_run(run.pk) == "failed"
    run.refresh_from_db()
    assert "No such file" in run.error + run.traceback or "ermission" in run.error + run.traceback
    good = _approved(alice, ed, GOOD_SOURCE)
    run2, _ = services.author_experiment_run(experiment=good, user=alice)
    assert execute_run(run2.pk) == "succeeded"


def test_a_source_changed_after_the_request_does_not_run(alice: Any, ed: Any) -> None:
    from apps.submissions.models import AuthorExperiment

    exp = _approved(alice, ed, GOOD_SOURCE)
    run, _ = services.author_experiment_run(experiment=exp, user=alice)
    # Bypass the service (which would clear the approval) to model a tampered row.
    AuthorExperiment.objects.filter(pk=exp.pk).update(source=GOOD_SOURCE + "\nimport os\n")
    assert execute_run(run.pk) == "failed"
    run.refresh_from_db()
    assert "source changed" in run.error
