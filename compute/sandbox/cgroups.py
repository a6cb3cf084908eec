"""A cgroup per sandboxed run: its memory (kernel memory included), process count and CPU bounded as a whole.

rlimits bound each process; a run may start many. The run's cgroup bounds
them together, counts the kernel memory they cause (socket buffers, inodes,
page tables) with their own, and lets the supervisor kill every process of
the run at once, whatever session or process group it moved to.

Both cgroup versions are supported, chosen at each run:

* **v2** (Debian 12 and most current systems) when the unified hierarchy
  offers the memory, pids and cpu controllers: ``memory.max`` (which counts
  kernel memory, socket buffers included), ``memory.swap.max`` 0,
  ``memory.oom.group`` (an out-of-memory kill takes the whole run),
  ``pids.max``, ``cpu.max``; killed with ``cgroup.kill``. Runs live under
  ``/lm-sandbox`` at the top of the hierarchy, the one place where the
  controllers can always be handed down.
* **v1** otherwise (hybrid layouts): ``memory.limit_in_bytes`` (kernel memory
  is charged to it on every kernel since 4.6 unless booted with
  ``cgroup.memory=nokmem``, which is refused), ``memory.kmem.tcp.limit_in_bytes``
  for TCP buffers, which v1 counts apart (a quarter of the run's memory, the
  rest going to ``memory.limit_in_bytes``, so the two together stay within
  it), ``pids.max``, ``cpu.cfs_quota_us``; killed by freezing the run,
  killing every process listed and thawing. Runs live under
  ``lm-sandbox`` inside the supervisor's own cgroup of each controller.

When neither can be set up the run does not start: ``SandboxUnavailable``.
"""

from __future__ import annotations

import errno
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from compute.sandbox.limits import Limits, SandboxUnavailable, Usage

V2_CONTROLLERS = ("memory", "pids", "cpu")
V1_CONTROLLERS = ("memory", "pids", "cpu", "freezer")
V1_OPTIONAL = ("cpuacct",)
CPU_PERIOD_US = 100_000
DEFAULT_PARENT = "lm-sandbox"
_SLACK = 256 * 1024  # charges come in pages and per-CPU batches: a peak this close to a limit has met it


@dataclass(frozen=True)
class Hierarchies:
    """Where the cgroup file systems are mounted, and where this process sits in them."""

    v2: Path | None = None  # the cgroup2 mount point
    v1: dict[str, Path] = field(default_factory=dict)  # controller -> mount point
    own_v1: dict[str, str] = field(default_factory=dict)  # controller -> this process's cgroup in it


def _unescape(path: str) -> str:
    # /proc/mounts writes space, tab, newline and backslash as octal escapes.
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        path = path.replace(code, char)
    return path


def parse_hierarchies(mounts: str, own: str) -> Hierarchies:
    """Read the cgroup mounts out of ``/proc/mounts`` text and this process's place from ``/proc/self/cgroup``."""
    v2: Path | None = None
    v1: dict[str, Path] = {}
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        mountpoint, fstype, options = _unescape(fields[1]), fields[2], fields[3].split(",")
        if fstype == "cgroup2" and v2 is None:
            v2 = Path(mountpoint)
        elif fstype == "cgroup":
            for controller in (*V1_CONTROLLERS, *V1_OPTIONAL):
                if controller in options:
                    v1.setdefault(controller, Path(mountpoint))
    own_v1: dict[str, str] = {}
    for line in own.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and parts[1]:
            for controller in parts[1].split(","):
                own_v1[controller] = parts[2]
    return Hierarchies(v2=v2, v1=v1, own_v1=own_v1)


def _read(path: Path) -> str:
    with open(path) as fh:
        return fh.read()


def _write(path: Path, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


def _keyed(path: Path) -> dict[str, int]:
    """A flat-keyed cgroup file ("key value" lines) as a dict; missing file, empty dict."""
    try:
        text = _read(path)
    except FileNotFoundError:
        return {}
    values = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lstrip("-").isdigit():
            values[key] = int(value)
    return values


def _number(path: Path) -> int | None:
    try:
        return int(_read(path).split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def _pids(procs: Path) -> list[int]:
    try:
        return [int(pid) for pid in _read(procs).split()]
    except FileNotFoundError:
        return []


def _relative(parent: str) -> Path:
    path = Path(parent.strip("/"))
    if parent.strip("/") == "" or ".." in path.parts:
        raise SandboxUnavailable(f"the sandbox cgroup {parent!r} must be a path under the cgroup root")
    return path


def _remove(directory: Path, *, timeout_s: float) -> None:
    # A process that was just killed may hold its cgroup until it is reaped:
    # rmdir answers "busy" until then.
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            directory.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                raise RuntimeError(f"cannot remove the run's cgroup {directory}: {exc.strerror}") from None
        time.sleep(0.02)


class RunCgroup:
    """The cgroup of one run: created with its limits, joined by the run's first process, killed, removed."""

    backend = ""

    def __init__(self, directories: list[Path], limits: Limits) -> None:
        self.directories = directories  # one per hierarchy the run joins
        self.limits = limits

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.directories]

    def join(self) -> None:
        """Move the calling process in; everything it starts stays in. Runs between fork and exec."""
        pid = str(os.getpid())
        for procs in self.procs_files:
            with open(procs, "w") as fh:
                fh.write(pid)

    def pids(self) -> list[int]:
        return sorted({pid for d in self.directories for pid in _pids(d / "cgroup.procs")})

    def kill(self, *, timeout_s: float = 10.0) -> None:
        raise NotImplementedError

    def usage(self) -> Usage:
        raise NotImplementedError

    def remove(self, *, timeout_s: float = 10.0) -> None:
        """Kill what is left and remove the cgroup's directories."""
        self.kill(timeout_s=timeout_s)
        for directory in self.directories:
            _remove(directory, timeout_s=timeout_s)

    def _kill_listed(self, procs: Path, *, timeout_s: float) -> None:
        # Killing by list can race a fork; the process limit bounds the race
        # and the loop runs until the list stays empty.
        deadline = time.monotonic() + timeout_s
        while pids := _pids(procs):
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"processes of the run's cgroup survive SIGKILL: {pids[:10]}")
            time.sleep(0.02)


class CgroupV2(RunCgroup):
    backend = "cgroup v2"

    @classmethod
    def create(cls, root: Path, parent: Path, name: str, limits: Limits) -> CgroupV2:
        chain = [root]
        for part in parent.parts:
            chain.append(chain[-1] / part)
        for here in chain:
            try:
                here.mkdir(exist_ok=True)
                control = here / "cgroup.subtree_control"
                missing = [c for c in V2_CONTROLLERS if c not in _read(control).split()]
                if missing:
                    _write(control, " ".join(f"+{c}" for c in missing))
            except OSError as exc:
                # A cgroup other than the root that holds processes cannot hand
                # controllers down: the kernel answers "busy".
                raise SandboxUnavailable(
                    f"cannot hand the {'/'.join(V2_CONTROLLERS)} controllers down through {here}: {exc.strerror}"
                    " (SANDBOX_CGROUP must name a cgroup that holds no process, under ones that can delegate)"
                ) from None
        directory = chain[-1] / name
        if directory.exists():  # left by a supervisor that died mid-run
            cls([directory], limits).remove()
        try:
            directory.mkdir()
        except OSError as exc:
            raise SandboxUnavailable(f"cannot create the run's cgroup {directory}: {exc.strerror}") from None
        cgroup = cls([directory], limits)
        quota = max(1000, int(limits.cpus * CPU_PERIOD_US))
        settings = [
            ("memory.max", str(limits.run_memory_bytes)),
            ("memory.swap.max", "0"),
            ("memory.oom.group", "1"),
            ("pids.max", str(limits.processes)),
            ("cpu.max", f"{quota} {CPU_PERIOD_US}"),
        ]
        for filename, value in settings:
            path = directory / filename
            if filename == "memory.swap.max" and not path.exists():
                continue  # a kernel without swap accounting has nothing to swap into it
            try:
                _write(path, value)
            except OSError as exc:
                cgroup.remove()
                raise SandboxUnavailable(f"cannot set {filename} in {directory}: {exc.strerror}") from None
        return cgroup

    def kill(self, *, timeout_s: float = 10.0) -> None:
        directory = self.directories[0]
        if not directory.exists():
            return
        kill_file = directory / "cgroup.kill"
        if kill_file.exists():  # Linux 5.14: every process at once, forks included
            _write(kill_file, "1")
        deadline = time.monotonic() + timeout_s
        self._kill_listed(directory / "cgroup.procs", timeout_s=timeout_s)
        while _keyed(directory / "cgroup.events").get("populated", 0):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the run's cgroup {directory} stays populated")
            time.sleep(0.02)

    def usage(self) -> Usage:
        directory = self.directories[0]
        memory_events = _keyed(directory / "memory.events")
        cpu = _keyed(directory / "cpu.stat")
        return Usage(
            backend=self.backend,
            memory_limit_bytes=self.limits.run_memory_bytes,
            memory_peak_bytes=_number(directory / "memory.peak"),
            memory_limit_reached=memory_events.get("max", 0) > 0 or memory_events.get("oom", 0) > 0,
            oom_kills=memory_events.get("oom_kill", 0),
            process_limit=self.limits.processes,
            process_limit_hits=_keyed(directory / "pids.events").get("max", 0),
            cpu_s=cpu["usage_usec"] / 1e6 if "usage_usec" in cpu else None,
            cpu_throttled_periods=cpu.get("nr_throttled", 0),
        )


class CgroupV1(RunCgroup):
    backend = "cgroup v1"

    def __init__(self, directories: list[Path], limits: Limits, by_controller: dict[str, Path]) -> None:
        super().__init__(directories, limits)
        self.by_controller = by_controller

    @staticmethod
    def tcp_bytes(limits: Limits) -> int:
        """The share of the run's memory that TCP buffers may take (v1 counts them apart)."""
        return limits.run_memory_bytes // 4

    @classmethod
    def create(cls, hierarchies: Hierarchies, parent: Path | None, name: str, limits: Limits) -> CgroupV1:
        if "cgroup.memory=nokmem" in _read(Path("/proc/cmdline")):
            raise SandboxUnavailable(
                "the kernel was booted with cgroup.memory=nokmem: kernel memory would go uncounted"
            )
        by_controller: dict[str, Path] = {}
        for controller in (*V1_CONTROLLERS, *V1_OPTIONAL):
            mount = hierarchies.v1.get(controller)
            if mount is None:
                continue
            base = (
                parent
                if parent is not None
                else Path(hierarchies.own_v1.get(controller, "/").strip("/"), DEFAULT_PARENT)
            )
            by_controller[controller] = mount / base / name
        directories = list(dict.fromkeys(by_controller.values()))  # cpu and cpuacct may share one
        for directory in directories:
            if directory.exists():  # left by a supervisor that died mid-run
                cls([directory], limits, {c: d for c, d in by_controller.items() if d == directory}).remove()
            try:
                directory.mkdir(parents=True)
            except OSError as exc:
                raise SandboxUnavailable(f"cannot create the run's cgroup {directory}: {exc.strerror}") from None
        cgroup = cls(directories, limits, by_controller)
        memory = by_controller["memory"]
        tcp = cls.tcp_bytes(limits)
        rest = str(limits.run_memory_bytes - tcp)
        settings = [
            (memory / "memory.limit_in_bytes", rest),
            (memory / "memory.memsw.limit_in_bytes", rest),  # no swapping out of the limit, where swap is counted
            (memory / "memory.kmem.tcp.limit_in_bytes", str(tcp)),
            (by_controller["pids"] / "pids.max", str(limits.processes)),
            (by_controller["cpu"] / "cpu.cfs_period_us", str(CPU_PERIOD_US)),
            (by_controller["cpu"] / "cpu.cfs_quota_us", str(max(1000, int(limits.cpus * CPU_PERIOD_US)))),
        ]
        for path, value in settings:
            if path.name == "memory.memsw.limit_in_bytes" and not path.exists():
                continue
            try:
                _write(path, value)
            except OSError as exc:
                cgroup.remove()
                raise SandboxUnavailable(f"cannot set {path.name} in {path.parent}: {exc.strerror}") from None
        return cgroup

    def kill(self, *, timeout_s: float = 10.0) -> None:
        freezer = self.by_controller.get("freezer")
        if freezer is not None and freezer.exists():
            # Frozen, the run cannot fork while its list is read and killed;
            # thawed, the kills are delivered.
            state = freezer / "freezer.state"
            _write(state, "FROZEN")
            deadline = time.monotonic() + min(timeout_s, 2.0)
            while _read(state).strip() != "FROZEN" and time.monotonic() < deadline:
                time.sleep(0.01)
            for pid in _pids(freezer / "cgroup.procs"):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            _write(state, "THAWED")
        for directory in self.directories:
            self._kill_listed(directory / "cgroup.procs", timeout_s=timeout_s)

    def usage(self) -> Usage:
        memory = self.by_controller["memory"]
        tcp_peak = _number(memory / "memory.kmem.tcp.max_usage_in_bytes") or 0
        memory_peak = _number(memory / "memory.max_usage_in_bytes")
        cpuacct = self.by_controller.get("cpuacct")
        cpu_ns = _number(cpuacct / "cpuacct.usage") if cpuacct is not None else None
        tcp_limit = self.tcp_bytes(self.limits)
        # The kernel does not always count failures (failcnt) on v1; a peak at the limit says the same.
        reached = (
            (_number(memory / "memory.failcnt") or 0) > 0
            or (_number(memory / "memory.kmem.tcp.failcnt") or 0) > 0
            or (memory_peak or 0) >= self.limits.run_memory_bytes - tcp_limit - _SLACK
            or tcp_peak >= tcp_limit - _SLACK
        )
        return Usage(
            backend=self.backend,
            memory_limit_bytes=self.limits.run_memory_bytes,
            memory_peak_bytes=None if memory_peak is None else memory_peak + tcp_peak,
            memory_limit_reached=reached,
            oom_kills=_keyed(memory / "memory.oom_control").get("oom_kill", 0),
            process_limit=self.limits.processes,
            process_limit_hits=_keyed(self.by_controller["pids"] / "pids.events").get("max", 0),
            cpu_s=None if cpu_ns is None else cpu_ns / 1e9,
            cpu_throttled_periods=_keyed(self.by_controller["cpu"] / "cpu.stat").get("nr_throttled", 0),
        )


def hierarchies() -> Hierarchies:
    return parse_hierarchies(_read(Path("/proc/mounts")), _read(Path("/proc/self/cgroup")))


def _v2_usable(found: Hierarchies) -> bool:
    if found.v2 is None:
        return False
    try:
        offered = _read(found.v2 / "cgroup.controllers").split()
    except OSError:
        return False
    return all(c in offered for c in V2_CONTROLLERS)


def backend_name(found: Hierarchies | None = None) -> str:
    """Which cgroup version runs would use here, or why none can; raises SandboxUnavailable."""
    found = found or hierarchies()
    if _v2_usable(found):
        return CgroupV2.backend
    missing = [c for c in V1_CONTROLLERS if c not in found.v1]
    if not missing:
        return CgroupV1.backend
    v2 = f"the cgroup2 hierarchy at {found.v2} lacks {'/'.join(V2_CONTROLLERS)}" if found.v2 else "no cgroup2 mount"
    raise SandboxUnavailable(f"no cgroup can bound a run: {v2}, and cgroup v1 lacks {', '.join(missing)}")


def run_cgroup_create(*, slot: int, limits: Limits) -> RunCgroup:
    """Create the cgroup of slot ``slot``'s run with the run's limits (replacing one a dead run left behind)."""
    found = hierarchies()
    name = f"slot-{slot}"
    parent = _relative(limits.cgroup_parent) if limits.cgroup_parent else None
    if backend_name(found) == CgroupV2.backend:
        assert found.v2 is not None
        return CgroupV2.create(found.v2, parent or Path(DEFAULT_PARENT), name, limits)
    return CgroupV1.create(found, parent, name, limits)


def run_cgroup_paths(*, slot: int, limits: Limits) -> list[Path]:
    """The directories of slot ``slot``'s run cgroup that exist now: none once a run is over."""
    found = hierarchies()
    name = f"slot-{slot}"
    parent = _relative(limits.cgroup_parent) if limits.cgroup_parent else None
    candidates = []
    if found.v2 is not None:
        candidates.append(found.v2 / (parent or Path(DEFAULT_PARENT)) / name)
    for controller, mount in found.v1.items():
        base = parent if parent is not None else Path(found.own_v1.get(controller, "/").strip("/"), DEFAULT_PARENT)
        candidates.append(mount / base / name)
    return [path for path in dict.fromkeys(candidates) if path.exists()]
