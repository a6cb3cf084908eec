"""Runs untrusted author experiments in a sandbox.

Author code never runs in the web process nor in the worker's own process.
The worker (root) supervises a child that:

* runs as a dedicated unprivileged user, one per worker slot
  (``lm-sandbox-<slot>``), so that per-user limits and clean-up by user id
  cannot touch anything else;
* runs, with everything it starts, in a cgroup of its own (cgroups.py) that
  bounds the run as a whole: memory with the kernel memory it causes
  (socket buffers, inodes), the number of processes and threads, and CPU;
  the cgroup is killed whole at the wall-clock limit, on cancellation and
  at the end of every run, then removed;
* has per-process resource limits under that as a second layer: address
  space, CPU time, file size, open files, no core dumps;
* runs inside bubblewrap with every namespace unshared (user, mount, PID,
  network, IPC, UTS, cgroup): no network at all, a minimal read-only view of
  the system (``/usr`` and the Python libraries), a private ``/tmp`` and
  ``/dev/shm`` and a writable output directory, each a tmpfs bounded in
  size and in inodes; nothing of the repository, its database, its settings
  or ``/etc`` is visible;
* runs under a seccomp filter (seccomp.py) that refuses with EPERM the
  kernel interfaces numeric Python never needs: io_uring, userfaultfd, perf
  events, BPF, keyrings, ptrace, mounts, namespaces, kexec, modules, ...;
* gets a cleared environment, so no secret reaches it.

Its only output is ``result.json`` in the output directory. The supervisor
opens it without following links, checks that it is a regular file under a
size cap, measures its nesting without recursion, parses it refusing NaN and
Infinity, and validates its shape (numbers and arrays of numbers only,
bounded sizes) before anything stores it (results.py). Standard output and
error are read continuously and capped, so a child that prints gigabytes
costs nothing but CPU time.

See docs/submissions.md for the threat model: what this defends against and
what it does not.
"""

from __future__ import annotations

from compute.sandbox.cgroups import run_cgroup_paths
from compute.sandbox.limits import Limits, Outcome, SandboxUnavailable, Usage
from compute.sandbox.results import RESULT_NAME, ResultInvalid, nesting_depth, read_result, validate_result
from compute.sandbox.supervisor import check_available, run_sandboxed
from compute.sandbox.users import USER_PREFIX, kill_uid, pids_of_uid, sandbox_user

__all__ = [
    "RESULT_NAME",
    "USER_PREFIX",
    "Limits",
    "Outcome",
    "ResultInvalid",
    "SandboxUnavailable",
    "Usage",
    "check_available",
    "kill_uid",
    "nesting_depth",
    "pids_of_uid",
    "read_result",
    "run_cgroup_paths",
    "run_sandboxed",
    "sandbox_user",
    "validate_result",
]
