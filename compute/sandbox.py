"""Runs untrusted author experiments in a sandbox.

Author code never runs in the web process nor in the worker's own process.
The worker (root) supervises a child that:

* runs as a dedicated unprivileged user, one per worker slot
  (``lm-sandbox-<slot>``), so that per-user limits and clean-up by user id
  cannot touch anything else;
* has resource limits set before it starts: processes, address space, CPU
  time, file size, open files, no core dumps;
* runs inside bubblewrap with every namespace unshared (user, mount, PID,
  network, IPC, UTS, cgroup): no network at all, a minimal read-only view of
  the system (``/usr`` and the Python libraries), a private ``/tmp`` and a
  size-limited writable output directory; nothing of the repository, its
  database, its settings or ``/etc`` is visible;
* gets a cleared environment, so no secret reaches it;
* is killed with its whole process tree after a wall-clock limit.

Its only output is ``result.json`` in the output directory. The supervisor
opens it without following links, checks that it is a regular file under a
size cap, parses it refusing NaN and Infinity, and validates its shape
(numbers and arrays of numbers only, bounded sizes) before anything stores it.
Standard output and error are read continuously and capped, so a child that
prints gigabytes costs nothing but CPU time.

See docs/submissions.md for the threat model: what this defends against and
what it does not.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import pwd
import re
import resource
import selectors
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMPUTE_DIR = Path(__file__).resolve().parent
USER_PREFIX = "lm-sandbox-"
RESULT_NAME = "result.json"


class SandboxUnavailable(RuntimeError):
    """The machine cannot provide the sandbox (not root, no bubblewrap, ...)."""


@dataclass(frozen=True)
class Limits:
    wall_s: float = 120.0
    cpu_s: int = 120
    memory_bytes: int = 3 * 1024**3
    processes: int = 64  # threads count too: torch starts a few per core
    open_files: int = 256
    file_bytes: int = 64 * 1024**2
    disk_bytes: int = 64 * 1024**2
    output_bytes: int = 64 * 1024  # stdout and stderr kept, each
    result_bytes: int = 8 * 1024**2
    max_numbers: int = 2_000_000
    max_depth: int = 4


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


class ResultInvalid(ValueError):
    pass


# --- Result validation ----------------------------------------------------------


# Keys become column names and JavaScript property names: letters first.
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


def _reject_constant(name: str) -> Any:
    raise ResultInvalid(f"result contains {name}, which is not a finite number")


def validate_result(data: Any, limits: Limits) -> dict[str, Any]:
    """Check that a result is a dict of numbers, lists of numbers and nested dicts thereof."""
    if not isinstance(data, dict):
        raise ResultInvalid("result must be a JSON object")
    count = 0

    def walk(value: Any, depth: int, where: str) -> None:
        nonlocal count
        if depth > limits.max_depth:
            raise ResultInvalid(f"result is nested deeper than {limits.max_depth} levels at {where}")
        if isinstance(value, bool) or value is None:
            raise ResultInvalid(f"{where}: only numbers are allowed, found {type(value).__name__}")
        if isinstance(value, (int, float)):
            if isinstance(value, float) and not math.isfinite(value):
                raise ResultInvalid(f"{where}: not a finite number")
            count += 1
            if count > limits.max_numbers:
                raise ResultInvalid(f"result has more than {limits.max_numbers} numbers")
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, depth + 1, f"{where}[{i}]")
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str) or not _KEY.fullmatch(key):
                    raise ResultInvalid(f"{where}: keys must be short identifiers, found {key!r:.80}")
                walk(item, depth + 1, f"{where}.{key}")
            return
        raise ResultInvalid(f"{where}: only numbers are allowed, found {type(value).__name__}")

    walk(data, 0, "result")
    return data


def read_result(directory: Path, limits: Limits) -> dict[str, Any]:
    """Open the result file without following links and validate it."""
    path = directory / RESULT_NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ResultInvalid("the experiment wrote no result file") from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: the name is a symbolic link
            raise ResultInvalid("the result file is a symbolic link; refused") from None
        raise ResultInvalid(f"the result file cannot be opened: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ResultInvalid("the result file is not a regular file; refused")
        if info.st_size > limits.result_bytes:
            raise ResultInvalid(f"the result file is {info.st_size} bytes, over the {limits.result_bytes}-byte limit")
        chunks = []
        remaining = limits.result_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        raw = b"".join(chunks)
    finally:
        os.close(fd)
    if len(raw) > limits.result_bytes:
        raise ResultInvalid(f"the result file is over the {limits.result_bytes}-byte limit")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except ResultInvalid:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultInvalid(f"the result file is not valid JSON: {exc}") from None
    return validate_result(data, limits)


# --- Users and processes ----------------------------------------------------------


def sandbox_user(slot: int) -> pwd.struct_passwd:
    """The unprivileged user of a worker slot, created when missing (needs root)."""
    name = f"{USER_PREFIX}{slot}"
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    if os.geteuid() != 0:
        raise SandboxUnavailable(f"user {name} does not exist and only root can create it")
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(name)


def pids_of_uid(uid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                status = dict(line.split(":", 1) for line in fh if ":" in line)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        # A zombie has already exited and holds nothing but its process id;
        # it disappears when it is reaped, which is not ours to do.
        if int(status["Uid"].split()[0]) == uid and not status.get("State", "").strip().startswith("Z"):
            pids.append(int(entry))
    return pids


def kill_uid(uid: int, *, timeout_s: float = 10.0) -> int:
    """SIGKILL every process of ``uid`` until none is left; return how many rounds it took."""
    deadline = time.monotonic() + timeout_s
    rounds = 0
    while True:
        pids = pids_of_uid(uid)
        if not pids:
            return rounds
        rounds += 1
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes of uid {uid} survive SIGKILL: {pids[:10]}")
        time.sleep(0.02)


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
    if sys.platform != "linux":
        raise SandboxUnavailable("the sandbox needs Linux")
    if os.geteuid() != 0:
        raise SandboxUnavailable("the sandbox supervisor must run as root to switch to the sandbox users")
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")


def _sources(python: str) -> dict[str, str]:
    """Host directories the sandbox sees read-only, by their name in the stage."""
    sources = {"site-packages": sysconfig.get_paths()["purelib"], "compute": str(COMPUTE_DIR)}
    if not python.startswith(("/usr/", "/bin/")):
        sources["python"] = str(Path(python).resolve().parent.parent)
    return sources


def _command(stage: Path, job: Path, out: Path, python: str, limits: Limits, user: pwd.struct_passwd) -> list[str]:
    """The supervisor's command line: stage the read-only sources, drop to the sandbox user, start bubblewrap.

    The project may live under a directory the sandbox user cannot traverse
    (a private home, say). So, as root and in a private mount namespace of
    its own, the command first binds each source onto an empty folder of a
    world-readable stage; bubblewrap, started as the sandbox user, binds from
    the stage. The host's mount table is never touched.
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
        "--size",
        str(limits.disk_bytes),
        "--tmpfs",
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
        "--size",
        str(limits.disk_bytes // 4),
        "--tmpfs",
        "/dev/shm",
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
    binds = " && ".join(
        f"mount --bind {shlex.quote(src)} {shlex.quote(str(stage / name))}" for name, src in sources.items()
    )
    script = f"{binds} && exec {shlex.join(setpriv + bwrap)}"
    return ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script]


def _limit_resources(limits: Limits) -> Any:
    # Set while still root; they are inherited by the sandbox user's processes,
    # whose process count, memory and CPU they bound.
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        # SIGXCPU at the soft limit says why; SIGKILL at the hard one makes sure.
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 2))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _mount_output(path: Path, limits: Limits, uid: int, gid: int) -> bool:
    """A size-limited tmpfs for the output, so a child cannot fill the disk."""
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={limits.disk_bytes},mode=0700,nosuid,nodev,noexec", "tmpfs", str(path)],
        capture_output=True,
    )
    os.chown(path, uid, gid)
    os.chmod(path, 0o700)
    return done.returncode == 0


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
    base = Path(tempfile.mkdtemp(prefix=f"lm-sandbox-{slot}-"))
    job, out, stage = base / "job", base / "out", base / "stage"
    python = _python_for_sandbox()
    for folder in (job, out, stage, *(stage / name for name in _sources(python))):
        folder.mkdir()
        os.chmod(folder, 0o755)
    os.chmod(base, 0o755)
    (job / "experiment.py").write_text(source)
    (job / "config.json").write_text(json.dumps({"params": config, "preset": preset}))
    for p in (job / "experiment.py", job / "config.json"):
        os.chmod(p, 0o644)
    mounted = _mount_output(out, limits, user.pw_uid, user.pw_gid)
    started = time.monotonic()
    try:
        return _supervise(
            _command(stage, job, out, python, limits, user),
            user,
            out,
            limits,
            started,
            cancel=cancel,
            on_progress=on_progress,
        )
    finally:
        try:
            kill_uid(user.pw_uid)
        finally:
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
    out: Path,
    limits: Limits,
    started: float,
    *,
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
        preexec_fn=_limit_resources(limits),
        close_fds=True,
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
        _kill_tree(proc, user.pw_uid)
    try:
        code = proc.wait(timeout=max(0.1, deadline + 5 - time.monotonic()))
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_tree(proc, user.pw_uid)
        code = proc.wait()
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


def _kill_tree(proc: subprocess.Popen[bytes], uid: int) -> None:
    # Killing bubblewrap kills the sandbox's PID namespace (die-with-parent);
    # killing by user id catches anything that escaped the process group.
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
        return f"ran out of memory (limit {limits.memory_bytes} bytes of address space)"
    if "File too large" in stderr:
        return f"wrote a file larger than {limits.file_bytes} bytes"
    return f"the experiment failed (exit code {code})" + (f": {last}" if last else "")
