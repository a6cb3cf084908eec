"""An author run through a real Celery worker process and the filesystem broker, into the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apps.experiments.models import Run
from apps.experiments.services import run_cancel
from apps.submissions import services
from compute import sandbox
from compute.sandbox import Limits
from tests.experiments.conftest import use_broker, wait_for, workers  # noqa: F401  (shared fixtures)
from tests.factories import GOOD_SOURCE, SPEC
from tests.sandbox import SLOT

pytestmark = [pytest.mark.sandbox, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SLEEPY = GOOD_SOURCE.replace(
    '    ctx.progress(1.0, "done")', '    import time\n    ctx.progress(0.5, "napping")\n    time.sleep(120)'
)


@pytest.fixture
def sandbox_worker(use_broker: Any, workers: Any, tmp_path: Path) -> Any:  # noqa: F811
    env = use_broker("filesystem://", tmp_path / "broker")
    return workers({**env, "SANDBOX_SLOT_BASE": str(SLOT), "SANDBOX_WALL_SECONDS": "90"})


def _approved(alice: Any, ed: Any, source: str, name: str) -> Any:
    draft = services.submission_create(author=alice, fields={"title": name, "summary": "S", "body": "B"})
    exp = services.author_experiment_save(submission=draft, user=alice, name=name, source=source, figure_spec=SPEC)
    return services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )


def _status(run: Run, *statuses: str) -> Run | None:
    run.refresh_from_db()
    return run if run.status in statuses else None


def test_a_worker_runs_an_approved_author_experiment_in_the_sandbox(sandbox_worker: Any, alice: Any, ed: Any) -> None:
    exp = _approved(alice, ed, GOOD_SOURCE, "squares")
    run, created = services.author_experiment_run(experiment=exp, user=alice)
    assert created
    run = wait_for(
        lambda: _status(run, "succeeded", "failed"), timeout=180, what="the author run", worker=sandbox_worker
    )
    assert run.status == "succeeded", run.error + run.traceback
    assert run.result.data["y"] == [0.0, 1.0, 4.0, 9.0]
    assert run.provenance["slot"] == SLOT


def test_cancelling_an_author_run_stops_its_sandbox_and_the_worker_serves_on(
    sandbox_worker: Any, alice: Any, ed: Any
) -> None:
    uid = sandbox.sandbox_user(SLOT).pw_uid
    exp = _approved(alice, ed, SLEEPY, "sleepy")
    run, _ = services.author_experiment_run(experiment=exp, user=alice)
    wait_for(lambda: sandbox.pids_of_uid(uid) or None, timeout=180, what="the sandbox to start", worker=sandbox_worker)
    run_cancel(run=run, user=alice)
    # The module sleeps 120 s and the wall limit is 90 s: only the cancel can end it this soon.
    wait_for(
        lambda: not (sandbox.pids_of_uid(uid) or sandbox.run_cgroup_paths(slot=SLOT, limits=Limits())) or None,
        timeout=30,
        what="the sandbox and its cgroup to go",
        worker=sandbox_worker,
    )
    after, _ = services.author_experiment_run(experiment=_approved(alice, ed, GOOD_SOURCE, "squares"), user=alice)
    after = wait_for(
        lambda: _status(after, "succeeded", "failed"), timeout=180, what="the next run", worker=sandbox_worker
    )
    assert after.status == "succeeded", after.error
    run.refresh_from_db()
    assert run.status == "cancelled"
