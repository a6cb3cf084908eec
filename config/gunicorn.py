"""gunicorn's configuration: ``gunicorn --config python:config.gunicorn``.

Every gunicorn worker is its own process, so the Prometheus metrics each one
counts are kept in files that /metrics/ adds up (prometheus-client's
multiprocess mode, apps/monitoring). The folder is PROMETHEUS_MULTIPROC_DIR;
it is emptied when gunicorn starts (counts restart with the server, as
Prometheus expects) and a dead worker's live values are dropped.

The files are memory-mapped, and writing to a memory-mapped file on a full
disk kills the process with SIGBUS: with the folder under VAR_DIR, a full
``var/`` killed gunicorn's workers in tests/faults/. So the default is on the
memory filesystem, /dev/shm (one folder per VAR_DIR), and VAR_DIR/metrics
only where there is none; systemd's RuntimeDirectory= is the production
choice (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

from config.env import env_int, env_str

_BASE_DIR = Path(__file__).resolve().parent.parent


def default_metrics_dir(var_dir: Path | None = None) -> Path:
    """The metrics folder of the site whose VAR_DIR is ``var_dir`` (by default, this process's)."""
    var_dir = (var_dir or Path(env_str("VAR_DIR", str(_BASE_DIR / "var")))).resolve()
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm / f"learningmechanics-metrics-{hashlib.sha256(str(var_dir).encode()).hexdigest()[:12]}"
    return var_dir / "metrics"


METRICS_DIR = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(default_metrics_dir())))

wsgi_app = "config.wsgi"
workers = env_int("GUNICORN_WORKERS", 2, minimum=1)
# A request that takes longer than this is a hung dependency: the worker is killed and replaced.
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=5)
graceful_timeout = 20


def on_starting(server: Any) -> None:
    """Empty the metrics folder before any worker starts."""
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    METRICS_DIR.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Forget the live values of a worker that exited (its counters stay in the sums)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
