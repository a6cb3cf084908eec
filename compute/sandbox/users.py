"""The unprivileged user of each worker slot, and killing everything that user runs."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time

from compute.sandbox.limits import SandboxUnavailable

USER_PREFIX = "lm-sandbox-"


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
    """The live processes whose real user is ``uid`` (zombies left out)."""
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
