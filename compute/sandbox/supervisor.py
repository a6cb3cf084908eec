"""The supervisor: runs an untrusted author experiment in the sandbox and hands back its checked result.

See compute/sandbox/__init__.py for what the sandbox is made of and
docs/submissions.md for the threat model.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import pwd
import resource
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compute.sandbox import seccomp
from compute.sandbox.cgroups import RunCgroup, backend_name, run_cgroup_create
from compute.sandbox.limits import Limits, Outcome, SandboxUnavailable, Usage
from compute.sandbox.results import ResultInvalid, read_result
from compute.sandbox.users import USER_PREFIX, kill_uid, sandbox_user

COMPUTE_DIR = Path(__file__).resolve().parent.parent
# RLIMIT_NPROC counts the slot user's processes, the cgroup's pids.max the
# run's; the rlimit sits a little above as a second layer, so the run's
# limit is the one a fork bomb meets (and is reported).
NPROC_MARGIN = 16
# Mount points in the stage for the private tmpfs of /tmp and /dev/shm.
PRIVATE_TMPFS = ("tmp", "shm")


# --- The sandbox ------------------------------------------------------------------


def _python_for_sandbox() -> str:
    """An interpreter whose files are readable by the sandbox user.

    The project's own interpreter may live under a private home directory, so
    by default the system's Python of the same minor version is used with the
    project's (world-readable) site-packages.
    """
    configured = os.environ.get("SANDBOX_PYTHON")
    if configured:
        return configured
    candidate = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    if os.path.exists(candidate):
        return candidate
    return sys.executable


def check_available() -> None:
    """Raise SandboxUnavailable, saying why, unless this machine can run a bounded sandbox."""
    if sys.platform != "linux":
        raise SandboxUnavailable("the sandbox needs Linux")
    if os.geteuid() != 0:
        raise SandboxUnavailable("the sandbox supervisor must run as root to switch to the sandbox users")
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    seccomp.program()
    backend_name()


def _sources(python: str) -> dict[str, str]:
    """Host directories the sandbox sees read-only, by their name in the stage."""
    sources = {"site-packages": sysconfig.get_paths()["purelib"], "compute": str(COMPUTE_DIR)}
    if not python.startswith(("/usr/", "/bin/")):
        sources["python"] = str(Path(python).resolve().parent.parent)
    return sources


def _command(
    stage: Path, job: Path, out: Path, python: str, limits: Limits, user: pwd.struct_passwd, seccomp_fd: int
) -> list[str]:
    """The supervisor's command line: stage the read-only sources, drop to the sandbox user, start bubblewrap.

    The project may live under a directory the sandbox user cannot traverse
    (a private home, say). So, as root and in a private mount namespace of
    its own, the command first binds each source onto an empty folder of a
    world-readable stage, and mounts the run's private ``/tmp`` and
    ``/dev/shm`` there (tmpfs bounded in size and in inodes, which
    bubblewrap's own ``--tmpfs`` cannot bound); bubblewrap, started as the
    sandbox user, binds from the stage and installs the seccomp filter read
    from ``seccomp_fd``. The host's mount table is never touched, and the
    private tmpfs go away with the namespace.
    """
    sources = _sources(python)
    bwrap = [
        "bwrap",
        "--unshare-all",  # user, mount, pid, net, ipc, uts, cgroup
        "--unshare-user",
        "--disable-userns",  # and the child cannot make new user namespaces
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--ro-bind",
        "/usr",
        "/usr",
        "--symlink",
        "usr/lib",
        "/lib",
        "--symlink",
        "usr/lib64",
        "/lib64",
        "--symlink",
        "usr/bin",
        "/bin",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--bind",
        str(stage / "tmp"),
        "/tmp",
        "--ro-bind",
        str(stage / "site-packages"),
        "/sandbox/site-packages",
        "--ro-bind",
        str(stage / "compute"),
        "/sandbox/lib/compute",
        "--ro-bind",
        str(job),
        "/sandbox/job",
        "--bind",
        str(out),
        "/sandbox/out",
    ]
    interpreter = python
    if "python" in sources:
        bwrap += ["--ro-bind", str(stage / "python"), sources["python"]]
        interpreter = str(Path(python).resolve())
    bwrap += [
        "--remount-ro",
        "/",  # the sandbox's own root holds nothing writable
        "--remount-ro",
        "/dev",
        "--bind",
        str(stage / "shm"),
        "/dev/shm",
        "--seccomp",
        str(seccomp_fd),
        "--chdir",
        "/sandbox/out",
        "--setenv",
        "PYTHONPATH",
        "/sandbox/lib:/sandbox/site-packages",
        "--setenv",
        "HOME",
        "/tmp",
        "--setenv",
        "PATH",
        "/usr/bin",
        "--setenv",
        "MALLOC_ARENA_MAX",
        "2",
        "--setenv",
        "OMP_NUM_THREADS",
        "1",
        "--setenv",
        "PYTHONDONTWRITEBYTECODE",
        "1",
        interpreter,
        "-s",
        "-m",
        "compute.sandbox_child",
        "/sandbox/job",
        "/sandbox/out",
    ]
    setpriv = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--"]
    mounts = [["mount", "--bind", src, str(stage / name)] for name, src in sources.items()]
    for name, size in (("tmp", limits.disk_bytes), ("shm", limits.disk_bytes // 4)):
        options = f"size={size},nr_inodes={limits.disk_inodes},mode=1777,nosuid,nodev"
        mounts.append(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(stage / name)])
    script = " && ".join([*(shlex.join(m) for m in mounts), f"exec {shlex.join(setpriv + bwrap)}"])
    return ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script]


def _enter_bounds(limits: Limits, cgroup: RunCgroup) -> Callable[[], None]:
    # Run in the child between fork and exec, still as root: it joins the
    # run's cgroup (everything it starts stays in) and sets the rlimits the
    # sandbox user's processes inherit, a second layer under the cgroup.
    def apply() -> None:
        cgroup.join()
        nproc = limits.processes + NPROC_MARGIN
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        # SIGXCPU at the soft limit says why; SIGKILL at the hard one makes sure.
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 2))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _mount_output(path: Path, limits: Limits, uid: int, gid: int) -> None:
    """A tmpfs bounded in size and inodes for the output, so a child can fill neither the disk nor kernel memory."""
    options = f"size={limits.disk_bytes},nr_inodes={limits.disk_inodes},mode=0700,nosuid,nodev,noexec"
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip() or f"mount exited {done.returncode}"
        raise SandboxUnavailable(f"cannot mount the output folder's tmpfs: {reason}")
    os.chown(path, uid, gid)
    os.chmod(path, 0o700)


def run_sandboxed(
    source: str,
    config: dict[str, Any],
    *,
    preset: str | None = None,
    slot: int = 0,
    limits: Limits | None = None,
    cancel: Callable[[], bool] | None = None,
    on_progress: Callable[[float, str], None] | None = None,
) -> Outcome:
    """Run an author experiment module in the sandbox and return its validated result or why it failed.

    ``cancel`` is polled about twice a second; when it returns True the whole
    sandbox is killed and the outcome says ``cancelled``. ``on_progress``
    receives each ``LM-PROGRESS`` line as it arrives (fraction clamped to 0..1).
    """
    limits = limits or Limits()
    check_available()
    user = sandbox_user(slot)
    # One run per slot at a time, across processes: the clean-up kills every
    # process of the slot's user, which must never hit another run's child.
    lock_dir = "/run/lock" if os.path.isdir("/run/lock") else tempfile.gettempdir()
    lock = os.open(os.path.join(lock_dir, f"{USER_PREFIX}{slot}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _run_locked(
            source, config, preset=preset, slot=slot, limits=limits, user=user, cancel=cancel, on_progress=on_progress
        )
    finally:
        os.close(lock)


def _run_locked(
    source: str,
    config: dict[str, Any],
    *,
    preset: str | None,
    slot: int,
    limits: Limits,
    user: pwd.struct_passwd,
    cancel: Callable[[], bool] | None,
    on_progress: Callable[[float, str], None] | None,
) -> Outcome:
    kill_uid(user.pw_uid)  # nothing of an earlier run may linger
    cgroup = run_cgroup_create(slot=slot, limits=limits)
    base = Path(tempfile.mkdtemp(prefix=f"lm-sandbox-{slot}-"))
    out = base / "out"
    mounted = False
    seccomp_fd = -1
    try:
        job, stage = base / "job", base / "stage"
        python = _python_for_sandbox()
        for folder in (job, out, stage, *(stage / name for name in (*_sources(python), *PRIVATE_TMPFS))):
            folder.mkdir()
            os.chmod(folder, 0o755)
        os.chmod(base, 0o755)
        (job / "experiment.py").write_text(source)
        (job / "config.json").write_text(json.dumps({"params": config, "preset": preset}))
        for p in (job / "experiment.py", job / "config.json"):
            os.chmod(p, 0o644)
        _mount_output(out, limits, user.pw_uid, user.pw_gid)
        mounted = True
        seccomp_fd = seccomp.program_fd()
        started = time.monotonic()
        outcome = _supervise(
            _command(stage, job, out, python, limits, user, seccomp_fd),
            user,
            cgroup,
            out,
            limits,
            started,
            pass_fds=(seccomp_fd,),
            cancel=cancel,
            on_progress=on_progress,
        )
        outcome.usage = cgroup.usage()
        _explain_usage(outcome, outcome.usage, limits)
        return outcome
    finally:
        try:
            cgroup.remove()
            kill_uid(user.pw_uid)
        finally:
            if seccomp_fd >= 0:
                os.close(seccomp_fd)
            if mounted:
                subprocess.run(["umount", "-l", str(out)], capture_output=True)
            shutil.rmtree(base, ignore_errors=True)


def _report_progress(lines: list[bytes], on_progress: Callable[[float, str], None]) -> None:
    for line in lines:
        if not line.startswith(b"LM-PROGRESS "):
            continue
        parts = line.decode("utf-8", "replace").split(" ", 2)
        try:
            fraction = float(parts[1])
        except (IndexError, ValueError):
            continue
        if math.isfinite(fraction):
            on_progress(min(1.0, max(0.0, fraction)), parts[2][:200] if len(parts) > 2 else "")


def _supervise(
    cmd: list[str],
    user: pwd.struct_passwd,
    cgroup: RunCgroup,
    out: Path,
    limits: Limits,
    started: float,
    *,
    pass_fds: tuple[int, ...] = (),
    cancel: Callable[[], bool] | None = None,
    on_progress: Callable[[float, str], None] | None = None,
) -> Outcome:
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"},
        cwd="/",
        start_new_session=True,
        preexec_fn=_enter_bounds(limits, cgroup),
        close_fds=True,
        pass_fds=pass_fds,
    )
    kept: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}
    dropped = {"stdout": 0, "stderr": 0}
    progress: list[float] = []
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    sel.register(proc.stdout, selectors.EVENT_READ, "stdout")
    sel.register(proc.stderr, selectors.EVENT_READ, "stderr")
    timed_out = cancelled = False
    deadline = started + limits.wall_s
    open_streams = 2
    partial = b""  # an unfinished stdout line, bounded: the child controls it
    while open_streams:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        if cancel is not None and cancel():
            cancelled = True
            break
        for key, _ in sel.select(timeout=min(remaining, 0.5)):
            chunk = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
            if not chunk:
                sel.unregister(key.fileobj)
                open_streams -= 1
                continue
            if on_progress is not None and key.data == "stdout":
                *lines, rest = (partial + chunk).split(b"\n")
                partial = rest[-4096:]
                _report_progress(lines, on_progress)
            buf = kept[key.data]
            room = limits.output_bytes - len(buf)
            if room > 0:
                buf.extend(chunk[:room])
            dropped[key.data] += max(0, len(chunk) - max(room, 0))
    if timed_out or cancelled:
        _kill_tree(proc, user.pw_uid, cgroup)
    try:
        code = proc.wait(timeout=max(0.1, deadline + 5 - time.monotonic()))
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_tree(proc, user.pw_uid, cgroup)
        code = proc.wait()
    # Whatever the run left behind (a daemon that escaped its session, say)
    # dies before the result is read, so nothing can change it meanwhile.
    cgroup.kill()
    sel.close()
    proc.stdout.close()
    proc.stderr.close()
    stdout = kept["stdout"].decode("utf-8", "replace")
    stderr = kept["stderr"].decode("utf-8", "replace")
    for line in stdout.splitlines():
        if line.startswith("LM-PROGRESS "):
            try:
                progress.append(float(line.split()[1]))
            except (IndexError, ValueError):
                pass
    if dropped["stdout"] or dropped["stderr"]:
        stderr += f"\n[{dropped['stdout'] + dropped['stderr']} bytes of output discarded]"
    outcome = Outcome(
        ok=False,
        reason="",
        exit_code=code,
        stdout=stdout,
        stderr=stderr,
        duration_s=round(time.monotonic() - started, 3),
        progress=progress,
    )
    if cancelled:
        outcome.cancelled = True
        outcome.reason = "cancelled"
        return outcome
    if timed_out:
        outcome.reason = f"killed after the wall-clock limit of {limits.wall_s:g} s"
        return outcome
    if code != 0:
        outcome.reason = _explain_exit(code, stderr, limits)
        return outcome
    try:
        outcome.result = read_result(out, limits)
    except ResultInvalid as exc:
        outcome.reason = str(exc)
        return outcome
    outcome.ok = True
    outcome.reason = "succeeded"
    return outcome


def _kill_tree(proc: subprocess.Popen[bytes], uid: int, cgroup: RunCgroup) -> None:
    # The cgroup holds every process of the run, wherever it moved; the
    # process group and the user id are two more nets under it.
    cgroup.kill()
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    kill_uid(uid)


def _explain_exit(code: int, stderr: str, limits: Limits) -> str:
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    # bubblewrap exits with 128 + N when the sandboxed process died of signal N.
    signum = -code if code < 0 else code - 128 if code > 128 else 0
    if signum:
        try:
            sig = signal.Signals(signum).name
        except ValueError:
            sig = f"signal {signum}"
        if sig == "SIGXCPU":
            return f"killed for using more than {limits.cpu_s} s of CPU time"
        if sig == "SIGXFSZ":
            return f"killed for writing a file larger than {limits.file_bytes} bytes"
        if sig == "SIGKILL":
            return "killed (SIGKILL) at its CPU time or memory limit"
        return f"killed by {sig}" + (f": {last}" if last else "")
    if "MemoryError" in stderr or "Cannot allocate memory" in stderr:
        return f"ran out of memory (limit {limits.memory_bytes} bytes of address space per process)"
    if "File too large" in stderr:
        return f"wrote a file larger than {limits.file_bytes} bytes"
    return f"the experiment failed (exit code {code})" + (f": {last}" if last else "")


def _explain_usage(outcome: Outcome, usage: Usage, limits: Limits) -> None:
    """Say in a failed run's reason which of the run's own limits it met, as its cgroup measured them."""
    if outcome.ok or outcome.cancelled:
        return
    mib = limits.run_memory_bytes // 1024**2
    if usage.oom_kills:
        stopped = outcome.reason if outcome.reason.startswith("killed after the wall-clock") else ""
        outcome.reason = (
            f"ran out of memory: the run's processes together reached its limit of {mib} MiB "
            "(kernel memory such as socket buffers and file metadata included)"
        ) + (f"; then {stopped}" if stopped else "")
        return
    notes = []
    if usage.memory_limit_reached:
        notes.append(f"it reached its memory limit of {mib} MiB")
    if usage.process_limit_hits:
        notes.append(f"it reached its limit of {usage.process_limit} processes")
    if notes:
        outcome.reason += "; " + " and ".join(notes)
