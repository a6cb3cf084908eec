"""What bounds a sandboxed run, what it used, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class SandboxUnavailable(RuntimeError):
    """The machine cannot provide the sandbox (not root, no bubblewrap, no cgroup, no seccomp, ...)."""


@dataclass(frozen=True)
class Limits:
    """The bounds of one run.

    The run as a whole (every process it starts) is bounded by its cgroup:
    ``run_memory_bytes`` (resident memory plus the kernel memory it causes:
    socket buffers, inodes, page tables), ``processes`` (tasks, threads
    included) and ``cpus``. Each process is bounded again by rlimits:
    ``memory_bytes`` of address space, ``cpu_s`` of CPU time, ``file_bytes``
    per file and ``open_files``.
    """

    wall_s: float = 120.0
    cpu_s: int = 120
    memory_bytes: int = 3 * 1024**3  # address space of one process (RLIMIT_AS)
    run_memory_bytes: int = 4 * 1024**3  # the whole run, kernel memory included (cgroup)
    processes: int = 64  # tasks of the whole run, threads too: torch starts a few per core
    cpus: float = 1.0  # CPU time per wall-clock second, over all the run's processes
    open_files: int = 256
    file_bytes: int = 64 * 1024**2
    disk_bytes: int = 64 * 1024**2  # each private tmpfs: /tmp, /dev/shm (a quarter) and the output folder
    disk_inodes: int = 16384  # files and folders in each private tmpfs
    output_bytes: int = 64 * 1024  # stdout and stderr kept, each
    result_bytes: int = 8 * 1024**2
    max_numbers: int = 2_000_000
    max_depth: int = 4
    # Where the runs' cgroups live, relative to the root of the cgroup
    # hierarchy (of each controller's hierarchy on cgroup v1).
    cgroup_parent: str = "lm-sandbox"


@dataclass(frozen=True)
class Usage:
    """What a run's cgroup measured: its peaks and the limits it ran into."""

    backend: str  # "cgroup v2" or "cgroup v1"
    memory_limit_bytes: int
    memory_peak_bytes: int | None  # None where the kernel keeps no peak (cgroup v2 before Linux 5.19)
    memory_limit_reached: bool
    oom_kills: int
    process_limit: int
    process_limit_hits: int  # forks refused at the process limit
    cpu_s: float | None
    cpu_throttled_periods: int


@dataclass
class Outcome:
    ok: bool
    reason: str
    result: dict[str, Any] | None = None
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    progress: list[float] = field(default_factory=list)
    cancelled: bool = False
    usage: Usage | None = None
