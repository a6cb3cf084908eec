from __future__ import annotations

from apps.experiments.tasks import visibility_timeout_problems
from config.celery import app


def test_run_tasks_are_acknowledged_late_and_routed_to_the_experiments_queue() -> None:
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_routes["apps.experiments.tasks.execute_run"] == {"queue": "experiments"}


def test_every_hard_time_limit_is_below_the_redis_visibility_timeout(settings) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert visibility_timeout_problems() == []


def test_a_visibility_timeout_below_a_hard_limit_is_reported(settings) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.RUNS_VISIBILITY_TIMEOUT_S = 100
    assert any("deep_linear" in p for p in visibility_timeout_problems())
