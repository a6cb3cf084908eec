"""Writes on experiments and runs, in two parts: what people and the site ask for, and what workers do.

- ``requesting``: quotas, requests, publishing to the queue, cancel, requeue, reproduce.
- ``lifecycle``: a worker's claim, lease, outcome and the reaper; worker heartbeats; who hears when a run ends.

Callers import from here (``from apps.experiments.services import run_request``).
"""

from apps.experiments.services.lifecycle import (
    Claim,
    RunListener,
    on_run_finished,
    run_claim,
    run_fail,
    run_fail_hard_time_limit,
    run_finish,
    run_rekey,
    run_release_from_dead_worker,
    run_renew_lease,
    runs_reap_expired,
    worker_beat,
    worker_is_gone,
    workers_alive,
)
from apps.experiments.services.requesting import (
    PUBLISH_RETRY_POLICY,
    UNPUBLISHED_GRACE,
    RunAsk,
    enqueue,
    experiment_sync,
    run_cache_key,
    run_cancel,
    run_ineligibility,
    run_is_public,
    run_may_manage,
    run_may_read_source,
    run_permission,
    run_publish,
    run_reproduce,
    run_request,
    run_requeue,
    runs_left_today,
    runs_request,
)

__all__ = [
    "Claim",
    "PUBLISH_RETRY_POLICY",
    "RunAsk",
    "RunListener",
    "UNPUBLISHED_GRACE",
    "enqueue",
    "experiment_sync",
    "on_run_finished",
    "run_cache_key",
    "run_cancel",
    "run_claim",
    "run_fail",
    "run_fail_hard_time_limit",
    "run_finish",
    "run_ineligibility",
    "run_is_public",
    "run_may_manage",
    "run_may_read_source",
    "run_permission",
    "run_publish",
    "run_rekey",
    "run_release_from_dead_worker",
    "run_renew_lease",
    "run_reproduce",
    "run_request",
    "run_requeue",
    "runs_left_today",
    "runs_reap_expired",
    "runs_request",
    "worker_beat",
    "worker_is_gone",
    "workers_alive",
]
