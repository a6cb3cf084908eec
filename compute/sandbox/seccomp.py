"""The sandbox's seccomp filter: kernel interfaces numeric Python never needs, refused.

Namespaces and an unprivileged user already keep the child away from the
host's files, network and processes; what they leave open is the kernel
itself. Each system call below is a large or historically fragile kernel
surface (io_uring, userfaultfd, perf events, BPF, keyrings, the mount API)
or a privileged operation that has no place in an experiment. They fail with
EPERM rather than killing the caller, so a library that probes for one (as
some do for io_uring or userfaultfd) falls back gracefully.

Two calls are refused by argument: ``clone`` with a namespace flag (the
other way to ``unshare``) and ``socket`` for families other than Unix,
IPv4, IPv6 and netlink (vsock and others are not confined by a network
namespace; AF_ALG exposes the kernel's crypto code). ``clone3`` answers
ENOSYS, as on kernels that lack it, because its flags sit in memory a filter
cannot read: the C library then falls back to ``clone``, whose flags it can.

The program is compiled by libseccomp through its Python bindings (Debian's
``python3-seccomp``, for the system interpreter; see seccomp_compile.py) once
per supervisor process, and handed to bubblewrap, which installs it (with
no-new-privileges) on the sandboxed process just before it starts, so every
process of the run inherits it.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import socket
import subprocess
from pathlib import Path

from compute.sandbox.limits import SandboxUnavailable

# The interpreter that owns the libseccomp bindings (Debian installs them for its python3).
SECCOMP_PYTHON = "/usr/bin/python3"
COMPILER = Path(__file__).resolve().parent / "seccomp_compile.py"

# Refused with EPERM, by kernel surface.
DENIED: dict[str, tuple[str, ...]] = {
    "io_uring": ("io_uring_setup", "io_uring_enter", "io_uring_register"),
    "userfaultfd": ("userfaultfd",),
    "perf events": ("perf_event_open",),
    "bpf": ("bpf",),
    "keyrings": ("keyctl", "add_key", "request_key"),
    "tracing other processes": ("ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd"),
    "mounts": (
        "mount",
        "umount2",
        "mount_setattr",
        "move_mount",
        "open_tree",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "pivot_root",
        "chroot",
    ),
    "namespaces": ("unshare", "setns"),
    "kexec": ("kexec_load", "kexec_file_load"),
    "kernel modules": ("init_module", "finit_module", "delete_module"),
    "machine administration": (
        "reboot",
        "swapon",
        "swapoff",
        "acct",
        "quotactl",
        "quotactl_fd",
        "syslog",
        "vhangup",
        "iopl",
        "ioperm",
        "uselib",
        "nfsservctl",
        "lookup_dcookie",
    ),
    "file handles": ("open_by_handle_at", "name_to_handle_at"),
    "filesystem-wide watches": ("fanotify_init",),
}

_NAMESPACE_FLAGS = {
    "CLONE_NEWTIME": 0x00000080,
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}
SOCKET_FAMILIES = (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK)
_FAMILY_LIMIT = 64  # above every AF_* value Linux defines (AF_MAX is 46 in 6.x)
_INT = 0xFFFFFFFF  # the kernel reads an int argument's low 32 bits; the filter must compare those only


Rule = tuple[str, int, list[tuple[int, int, int]]]


def rules() -> list[Rule]:
    """The policy as (system call, errno, [(argument, mask, value), ...]) rules; see seccomp_compile.py."""
    found: list[Rule] = [(name, errno.EPERM, []) for names in DENIED.values() for name in names]
    # clone's flags are its first argument on x86-64 and arm64 alike.
    found += [("clone", errno.EPERM, [(0, bit, bit)]) for bit in _NAMESPACE_FLAGS.values()]
    found.append(("clone3", errno.ENOSYS, []))
    found += [
        ("socket", errno.EAFNOSUPPORT, [(0, _INT, family)])
        for family in range(_FAMILY_LIMIT)
        if family not in SOCKET_FAMILIES
    ]
    return found


@functools.cache
def program() -> bytes:
    """The compiled BPF program (compiled once per process); SandboxUnavailable when libseccomp cannot build it."""
    if not os.path.exists(SECCOMP_PYTHON):
        raise SandboxUnavailable(f"{SECCOMP_PYTHON} is missing: it compiles the seccomp filter")
    policy = json.dumps({"rules": rules()}).encode()
    done = subprocess.run(
        [SECCOMP_PYTHON, "-I", str(COMPILER)], input=policy, capture_output=True, timeout=60, env={}, cwd="/"
    )
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if any("No module named 'seccomp'" in line for line in detail):
            raise SandboxUnavailable("libseccomp's Python bindings are missing: apt-get install python3-seccomp")
        raise SandboxUnavailable(f"the seccomp filter does not compile: {detail[-1] if detail else done.returncode}")
    # A BPF program is a whole number of 8-byte instructions, at least one.
    if not done.stdout or len(done.stdout) % 8:
        raise SandboxUnavailable("the seccomp filter compiled to something that is not a BPF program")
    return done.stdout


def program_fd() -> int:
    """A fresh descriptor holding the program, at offset 0, for bubblewrap's ``--seccomp``; the caller closes it."""
    data = program()
    fd = os.memfd_create("lm-sandbox-seccomp", os.MFD_CLOEXEC)
    try:
        os.write(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        os.close(fd)
        raise
    return fd
