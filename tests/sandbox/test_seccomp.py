"""The sandbox's seccomp filter refuses each kernel surface it names, with an errno, never a kill.

One author module calls every refused system call through ctypes and
reports the errno each met; each test below reads the calls of one
surface. Inside the sandbox some calls would fail anyway (no capabilities),
so each test also loads the compiled filter into a forked child of the test
process (root, outside any namespace) and makes the same calls there and in
an unfiltered twin: the filter must answer its errno where the kernel alone
would have answered something else. Every argument is chosen so that the
unfiltered call fails harmlessly or does nothing that outlives the child.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import textwrap
from typing import Any

import pytest

from compute.sandbox import seccomp
from tests.sandbox import SLOT
from tests.sandbox.conftest import SandboxRun

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(platform.machine() != "x86_64", reason="the probes use x86-64 system call numbers"),
]


# Shared by the author module and the forked children: each probe makes one
# system call and gives back 0 on success or the errno it met.
PROBES_SOURCE = """
import ctypes, os

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

def _call(nr, *args):
    ctypes.set_errno(0)
    result = _libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    if result >= 0 and nr in (425, 323, 298, 300, 41):
        os.close(result)  # a descriptor it opened
    return 0 if result >= 0 else ctypes.get_errno()

def _zeros(n):
    return ctypes.create_string_buffer(n)

def _tail(n):
    buf = ctypes.create_string_buffer(n)
    buf[n - 1] = b"x"  # a non-zero byte past what the kernel knows: E2BIG once it looks
    return buf

_MISSING = b"/lm-sandbox-no-such-path"
_PID = os.getpid()

PROBES = {
    "io_uring": {
        "io_uring_setup": lambda: _call(425, 1, _zeros(120)),
        "io_uring_enter": lambda: _call(426, -1, 0, 0, 0, None, 0),
        "io_uring_register": lambda: _call(427, -1, 0, None, 0),
    },
    "userfaultfd": {"userfaultfd": lambda: _call(323, 0o2000000 | 1)},  # O_CLOEXEC | UFFD_USER_MODE_ONLY
    "perf_events": {
        # A software dummy event on itself, user space only (type 1, size 128, config 9, exclude_kernel|hv).
        "perf_event_open": lambda: _call(
            298, ctypes.create_string_buffer(
                (1).to_bytes(4, "little") + (128).to_bytes(4, "little") + (9).to_bytes(8, "little")
                + bytes(24) + (0b1100000).to_bytes(8, "little") + bytes(80)
            ), 0, -1, -1, 0
        ),
    },
    "bpf": {"bpf": lambda: _call(321, 0, _tail(4096), 4096)},
    "keyrings": {
        "keyctl": lambda: _call(250, 0, -3, 0),  # KEYCTL_GET_KEYRING_ID of the session keyring
        "add_key": lambda: _call(248, b"lm-no-such-type", b"d", b"x", 1, -2),
        "request_key": lambda: _call(249, b"user", b"lm-no-such-key", None, 0),
    },
    "tracing": {
        "ptrace": lambda: _call(101, 12, 1, 0, 0),  # PTRACE_GETREGS of a process it does not trace
        "process_vm_readv": lambda: _call(310, _PID, None, 0, None, 0, 0),
        "kcmp": lambda: _call(312, _PID, _PID, 0, 0, 0),
        "pidfd_getfd": lambda: _call(438, -1, 0, 0),
    },
    "mounts": {
        "mount": lambda: _call(165, None, None, None, 0, None),
        "umount2": lambda: _call(166, b"/", 0xFFFF),
        "pivot_root": lambda: _call(155, None, None),
        "chroot": lambda: _call(161, _MISSING),
        "open_tree": lambda: _call(428, -1, None, 0xFFFFFFFF),
        "fsopen": lambda: _call(430, None, 0xFFFF),
    },
    "namespaces": {
        "unshare": lambda: _call(272, 0x10000000),  # CLONE_NEWUSER
        "setns": lambda: _call(308, -1, 0),
        "clone_newuser": lambda: _call(56, 0x10000000 | 0x200, 0, None, None, 0),  # with CLONE_FS: never valid
    },
    "kexec": {
        "kexec_load": lambda: _call(246, 0, 0, None, 0x7FF0),
        "kexec_file_load": lambda: _call(320, -1, -1, 0, None, 0x7FF0),
    },
    "kernel_modules": {
        "init_module": lambda: _call(175, None, 0, b""),
        "finit_module": lambda: _call(313, -1, b"", 0),
        "delete_module": lambda: _call(176, b"lm_no_such_module", 0o4000),
    },
    "administration": {
        "reboot": lambda: _call(169, 0, 0, 0, None),  # wrong magic numbers: refused even for root
        "swapon": lambda: _call(167, None, 0xFFFFFFFF),
        "swapoff": lambda: _call(168, _MISSING),
        "acct": lambda: _call(163, _MISSING),
        "quotactl": lambda: _call(179, 0, None, 0, None),
        "syslog": lambda: _call(103, 10, None, 0),  # the size of the kernel log
        "iopl": lambda: _call(172, 0),
        "ioperm": lambda: _call(173, 0, 0, 0),
    },
    "file_handles": {
        "open_by_handle_at": lambda: _call(304, -1, None, 0),
        "name_to_handle_at": lambda: _call(303, -100, b"/", None, None, 0),
    },
    "fanotify": {"fanotify_init": lambda: _call(300, 0, 0)},
    "socket_families": {
        "socket_alg": lambda: _call(41, 38, 5, 0),  # AF_ALG: the kernel's crypto API
        "socket_vsock": lambda: _call(41, 40, 1, 0),  # AF_VSOCK: to the hypervisor, past any network namespace
        "socket_alg_high_bits": lambda: _call(41, (1 << 32) | 38, 5, 0),  # the kernel reads only the low 32 bits
    },
    "clone3": {"clone3": lambda: _call(435, None, 0)},
}
"""

EXPECTED = {"socket_families": errno.EAFNOSUPPORT, "clone3": errno.ENOSYS}
NAMESPACE: dict[str, Any] = {}
exec(PROBES_SOURCE, NAMESPACE)  # noqa: S102 (our own probe table, shared with the author module)
PROBES: dict[str, dict[str, Any]] = NAMESPACE["PROBES"]

AUTHOR_MODULE = PROBES_SOURCE + textwrap.dedent("""
    def run(config, ctx):
        with open("/proc/self/status") as fh:
            filters = [line.split()[1] for line in fh if line.startswith("Seccomp_filters:")]
        met = {name: probe() for calls in PROBES.values() for name, probe in calls.items()}
        return {"errno": met, "filters": [float(f) for f in filters]}
""")


class SockFilterProgram(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _in_forked_child(surface: str, *, filtered: bool) -> dict[str, int]:
    """Make one surface's calls in a forked child of this process, under the compiled filter or not."""
    program = seccomp.program()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            os.close(read_end)
            if filtered:
                libc = ctypes.CDLL(None, use_errno=True)
                code = ctypes.create_string_buffer(program, len(program))
                fprog = SockFilterProgram(len(program) // 8, ctypes.cast(code, ctypes.c_void_p))
                if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
                    raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
                if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
                    raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP")
            met = {name: probe() for name, probe in PROBES[surface].items()}
            os.write(write_end, json.dumps(met).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, f"the probing child failed ({status})"
    return json.loads(data)


@pytest.fixture(scope="module")
def inside(sandbox_run: SandboxRun) -> dict[str, Any]:
    """What each call met inside the sandbox, from one run of the probing author module."""
    outcome = sandbox_run.attempt(AUTHOR_MODULE, slot=SLOT)
    assert outcome.ok, (outcome.reason, outcome.stderr[-1500:])
    assert outcome.result is not None
    return outcome.result


def test_the_sandboxed_process_runs_under_a_seccomp_filter(inside: dict[str, Any]) -> None:
    assert inside["filters"] and inside["filters"][0] >= 1


@pytest.mark.parametrize("surface", list(PROBES))
def test_each_kernel_surface_is_refused_with_an_errno(surface: str, inside: dict[str, Any]) -> None:
    expected = EXPECTED.get(surface, errno.EPERM)
    met_inside = {name: inside["errno"][name] for name in PROBES[surface]}
    assert met_inside == dict.fromkeys(PROBES[surface], expected), "inside the sandbox"
    met_filtered = _in_forked_child(surface, filtered=True)
    assert met_filtered == dict.fromkeys(PROBES[surface], expected), "under the compiled filter"
    # The control: without the filter, root's kernel answers at least one of
    # these calls otherwise, so the refusals above are the filter's.
    met_alone = _in_forked_child(surface, filtered=False)
    assert met_alone != met_filtered, f"the kernel alone answers {met_alone}: this test would not see a missing rule"


def test_numeric_python_still_works_under_the_filter(sandbox_run: SandboxRun) -> None:
    outcome = sandbox_run.attempt(
        """
        import os, socket, threading
        import torch
        def run(config, ctx):
            threads = [threading.Thread(target=lambda: None) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            pid = os.fork()
            if pid == 0:
                os._exit(7)
            _, status = os.waitpid(pid, 0)
            left, right = socket.socketpair()
            left.sendall(b"ok")
            x = torch.linspace(0, 1, 5)
            return {"sum": float(x.sum()), "child": float(os.waitstatus_to_exitcode(status)),
                    "echo": float(len(right.recv(2)))}
        """,
        slot=SLOT,
    )
    assert outcome.ok, (outcome.reason, outcome.stderr[-1500:])
    assert outcome.result == {"sum": 2.5, "child": 7.0, "echo": 2.0}
